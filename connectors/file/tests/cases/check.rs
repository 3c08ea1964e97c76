//! `check()`: the connection test of source and sink.

use connector_core::model::Product;
use connector_core::{ErrorKind, Sink, Source};
use connector_file::{FileConfig, FileSink, FileSource};

#[tokio::test]
async fn the_source_needs_a_readable_file_with_a_valid_header() {
    let dir = tempfile::tempdir().unwrap();
    let missing = FileSource::<Product>::new(FileConfig::new(dir.path().join("none.csv")).unwrap());
    let err = missing.check().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);
    assert!(err.message().contains("none.csv"), "{err}");

    let path = dir.path().join("p.csv");
    std::fs::write(&path, "sku,name,,name\n").unwrap();
    let bad = FileSource::<Product>::new(FileConfig::new(&path).unwrap());
    assert_eq!(bad.check().await.unwrap_err().kind(), ErrorKind::InvalidInput);

    std::fs::write(&path, "sku,name\n00123,Kaffee\n").unwrap();
    let good = FileSource::<Product>::new(FileConfig::new(&path).unwrap());
    good.check().await.unwrap();
    assert_eq!(good.name(), "file");
}

#[tokio::test]
async fn the_sink_needs_a_writable_directory() {
    let dir = tempfile::tempdir().unwrap();
    let fresh = FileSink::<Product>::new(FileConfig::new(dir.path().join("new.jsonl")).unwrap());
    fresh.check().await.unwrap();
    assert!(!dir.path().join("new.jsonl").exists(), "check creates nothing");
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0, "the probe is removed");

    let nowhere =
        FileSink::<Product>::new(FileConfig::new(dir.path().join("no/such/dir/p.csv")).unwrap());
    let err = nowhere.check().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);
    assert!(err.message().contains("does not exist"), "{err}");
}
