use std::sync::Arc;

use async_trait::async_trait;

use super::*;
use crate::memory::{IterSource, NullSink};
use crate::model::{Customer, Product};
use crate::{ErrorKind, Source};

/// A system in memory: reads customers, writes customers and products.
struct Memory;

mod lists {
    crate::entity_lists! {
        reads: [Customer],
        writes: [Customer, Product],
    }
}

#[async_trait]
impl System for Memory {
    fn description(&self) -> &'static Description {
        const D: Description = Description::new(
            "memory",
            "records in memory",
            lists::READS,
            lists::WRITES,
            &[Setting::new("label", "a name")],
        );
        &D
    }
    fn source(&self, kind: EntityKind, _options: &Options, _ctx: &Context) -> Result<AnySource> {
        let source = Arc::new(IterSource::<Customer>::from_vec("memory", Vec::new()));
        lists::erase_source(kind, source)
    }
    fn sink(&self, kind: EntityKind, _options: &Options, _ctx: &Context) -> Result<AnySink> {
        lists::erase_sink(kind, Arc::new(NullSink::new()))
    }
    async fn check(&self, _options: &Options, _ctx: &Context) -> Result<()> {
        Ok(())
    }
}

fn registry() -> Registry {
    let mut r = Registry::new();
    r.register(Memory);
    r
}

#[test]
fn sources_and_sinks_open_by_name_as_typed_values() {
    let r = registry();
    let source = r.source::<Customer>("memory", &Options::new()).unwrap();
    assert_eq!(source.name(), "memory");
    let sink = r.any_sink("memory", EntityKind::Product, &Options::new()).unwrap();
    assert_eq!(sink.kind(), EntityKind::Product);
    assert_eq!(sink.capabilities().entity, EntityKind::Product);
    assert!(sink.typed::<Product>().is_some());
    assert_eq!(r.names(), vec!["memory"]);
}

#[test]
fn an_undeclared_entity_names_what_the_system_handles() {
    let r = registry();
    let err = r.source::<Product>("memory", &Options::new()).err().unwrap();
    assert_eq!(err.kind(), ErrorKind::Unsupported);
    assert_eq!(err.message(), "memory reads customers, not products");
    let err = r.any_sink("memory", EntityKind::Invoice, &Options::new()).err().unwrap();
    assert_eq!(err.message(), "memory writes customers and products, not invoices");
}

#[test]
fn unknown_systems_and_settings_are_config_errors() {
    let r = registry();
    let err = r.source::<Customer>("nope", &Options::new()).err().unwrap();
    assert_eq!(err.kind(), ErrorKind::Config);
    assert!(err.message().contains("unknown system `nope`; this build has memory"), "{err}");
    let options: Options = [("lable".to_string(), "x".to_string())].into();
    let err = r.source::<Customer>("memory", &options).err().unwrap();
    assert!(err.message().contains("(did you mean `label`?)"), "{err}");
}

#[test]
fn erased_endpoints_go_back_only_to_their_own_type() {
    let s: Arc<dyn Source<Customer>> = Arc::new(IterSource::from_vec("m", Vec::<Customer>::new()));
    let any = AnySource::new(s);
    assert_eq!(any.kind(), EntityKind::Customer);
    assert_eq!(format!("{any:?}"), "AnySource(m customers)");
    assert!(any.typed::<Product>().is_none());
}
