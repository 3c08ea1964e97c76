//! The dashboard in a real headless Chromium, after the demo (`connector demo --serve`, the
//! CLI built beside this test): the flows page lists the demo's flows; Skynamo Link's
//! customers run shows its two quarantined records; a fixed value map and the replay button
//! land C-1005; a page of another origin cannot replay. Screenshots go to
//! `target/dashboard-screenshots/`.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use super::webdriver::{Browser, REQUIRE_ENV};

/// The `connector` CLI that `cargo test` built beside this test binary.
fn cli() -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?;
    let cli = exe.parent()?.parent()?.join("examples").join("connector");
    if cli.is_file() {
        return Some(cli);
    }
    assert!(
        std::env::var(REQUIRE_ENV).as_deref() != Ok("1"),
        "{REQUIRE_ENV}=1 but the connector CLI is not built at {}",
        cli.display()
    );
    eprintln!("skipped: the browser test needs the connector CLI (cargo test builds it)");
    None
}

/// Where screenshots go: `target/dashboard-screenshots`.
fn shots() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let dir =
        exe.parent().unwrap().parent().unwrap().parent().unwrap().join("dashboard-screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The demo's process, killed when the test ends, passed or not.
struct Demo(Child);

impl Drop for Demo {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Runs the demo and serves its dashboard; its URL once it listens.
fn demo(cli: &PathBuf, dir: &std::path::Path) -> (Demo, String) {
    let mut demo = Demo(
        Command::new(cli)
            .args(["demo", "--serve", "--port", "0", "--dir"])
            .arg(dir)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap(),
    );
    let out = BufReader::new(demo.0.stdout.take().unwrap());
    let mut out = out.lines();
    while let Some(line) = out.next() {
        let line = line.unwrap();
        if let Some(rest) = line.strip_prefix("dashboard at ") {
            let url = rest.split_whitespace().next().unwrap().to_owned();
            // Keep reading (and dropping) what it prints, so it never writes to a closed pipe.
            std::thread::spawn(move || out.for_each(drop));
            return (demo, url);
        }
    }
    panic!("the demo ended without serving its dashboard");
}

/// A page of another origin whose form posts to the dashboard's replay on load.
async fn foreign_page(target: String, csrf: String) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/", listener.local_addr().unwrap());
    tokio::spawn(async move {
        loop {
            let Ok((mut socket, _)) = listener.accept().await else { return };
            let mut buf = [0u8; 4096];
            let _ = socket.read(&mut buf).await;
            let body = format!(
                "<!doctype html><html><body><form id=f method=post action=\"{target}\">\
                 <input type=hidden name=csrf value=\"{csrf}\"></form>\
                 <script>document.getElementById('f').submit()</script></body></html>"
            );
            let answer = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: text/html\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = socket.write_all(answer.as_bytes()).await;
        }
    });
    url
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dashboard_in_chromium_after_the_demo_replays_a_fixed_record() {
    let Some(cli) = cli() else { return };
    let Some(browser) = Browser::start().await else { return };
    let dir = tempfile::tempdir().unwrap();
    let (_served, url) = demo(&cli, dir.path());
    let shots = shots();

    // The runs page lists the demo's flows.
    browser.goto(&format!("{url}/")).await;
    let home = browser.source().await;
    for flow in [
        "demo-customers",
        "demo-invoices",
        "demo-orders-to-procountor",
        "skynamo-link%2Fcustomers",
        "skynamo-link%2Finvoices",
    ] {
        assert!(home.contains(&format!("href=\"/flows/{flow}\"")), "{flow} on the flows page");
    }
    browser.screenshot(&shots.join("01-flows.png")).await;

    // Skynamo Link's customers run: its two quarantined records.
    browser.click("a[href='/flows/skynamo-link%2Fcustomers']").await;
    assert!(browser.url().await.ends_with("/flows/skynamo-link%2Fcustomers"));
    browser.click("table a[href^='/runs/']").await;
    assert_eq!(browser.count("table.quarantine tr[data-key]").await, 2);
    let run = browser.source().await;
    assert!(
        run.contains("C-1005") && run.contains("rep_users") && run.contains("sales_rep.key"),
        "{run}"
    );
    browser.screenshot(&shots.join("02-customers-run.png")).await;

    // A page of another origin cannot replay, even with the form's value.
    browser.goto(&format!("{url}/quarantine")).await;
    let page = browser.source().await;
    let at = page.find("name=\"csrf\" value=\"").unwrap() + 19;
    let csrf = page[at..at + 64].to_owned();
    let evil = foreign_page(format!("{url}/flows/skynamo-link%2Fcustomers/replay"), csrf).await;
    browser.goto(&evil).await;
    let started = std::time::Instant::now();
    let refused = loop {
        let page = browser.source().await;
        if page.contains("did not come from this dashboard") {
            break page;
        }
        assert!(started.elapsed() < Duration::from_secs(20), "no refusal: {page}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(!refused.contains("Run #"), "{refused}");
    browser.screenshot(&shots.join("03-other-origin-refused.png")).await;
    browser.goto(&format!("{url}/quarantine")).await;
    assert!(browser.source().await.contains("data-key=\"C-1005\""), "still quarantined");

    // Fix the value map, press replay: the record lands.
    let mapping = dir.path().join("skynamo-link.toml");
    let text = std::fs::read_to_string(&mapping).unwrap();
    let fixed = text.replace(
        "MK = \"mary.kim@example.com\" }",
        "MK = \"mary.kim@example.com\", ZZ = \"john.doe@example.com\" }",
    );
    assert_ne!(fixed, text, "the demo's value map changed shape");
    std::fs::write(&mapping, fixed).unwrap();
    browser.click("section[data-flow='skynamo-link/customers'] button").await;
    assert!(browser.url().await.contains("/runs/"), "the replay's run");
    let replayed = browser.source().await;
    assert!(replayed.contains("<b>1</b>resolved"), "{replayed}");
    browser.screenshot(&shots.join("04-replayed.png")).await;
    browser.goto(&format!("{url}/quarantine")).await;
    let after = browser.source().await;
    assert!(!after.contains("data-key=\"C-1005\""), "C-1005 landed: {after}");
    assert!(
        after.contains("data-key=\"e2a7f6c0-3b1d-4c5e-8f9a-0b1c2d3e4f5a\""),
        "the nameless contact waits"
    );
    assert_eq!(
        browser.count("section[data-flow='skynamo-link/customers'] tr[data-key]").await,
        1,
        "and nothing new beside it"
    );
    browser.screenshot(&shots.join("05-quarantine-after.png")).await;

    browser.quit().await;
}
