//! Xero invoices (3 lines each) from the simulator through decoding to canonical `Invoice`s.
//!
//! The simulator runs on its own thread and runtime; the client reads on a single-threaded
//! runtime on the main thread, and the figure is that thread's CPU time (from
//! `/proc/thread-self/stat`), so the simulator's own work is not counted. Peak RSS
//! (`VmHWM`) is of the whole process, simulator included.
//!
//! `cargo bench -p connector-xero --features simulator --bench invoices -- 10000 100000`

use std::time::{Duration, Instant};

use connector_core::model::Invoice;
use connector_core::source::{Change, ReadMode, Source};
use connector_xero::simulator::XeroSimulator;
use connector_xero::{XeroClient, XeroSource};
use futures_util::StreamExt;

fn thread_cpu() -> Duration {
    let stat = std::fs::read_to_string("/proc/thread-self/stat").unwrap_or_default();
    let fields: Vec<&str> = stat.rsplit(')').next().unwrap_or("").split_whitespace().collect();
    let ticks: u64 = fields.get(11).and_then(|u| u.parse().ok()).unwrap_or(0)
        + fields.get(12).and_then(|s| s.parse().ok()).unwrap_or(0);
    Duration::from_millis(ticks * 10)
}

fn peak_rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

fn main() {
    let sizes: Vec<usize> =
        std::env::args().skip(1).filter_map(|a| a.parse().ok()).collect::<Vec<_>>();
    let sizes = if sizes.is_empty() { vec![10_000] } else { sizes };
    for n in sizes {
        let (tx, rx) = std::sync::mpsc::channel();
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let server = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(1)
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async move {
                let sim =
                    XeroSimulator::builder().limits(1_000_000, 1_000_000, 5).start().await.unwrap();
                sim.seed_invoices(n);
                let mut config = sim.config();
                config.page_size = 1000;
                tx.send(config).unwrap();
                let _ = stop_rx.await;
                sim.shutdown().await;
            });
        });
        let config = rx.recv().unwrap();
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let (count, lines, cpu, wall) = rt.block_on(async move {
            let source = XeroSource::new(XeroClient::connect(config, None).await.unwrap());
            let cpu0 = thread_cpu();
            let t0 = Instant::now();
            let mut stream = Source::<Invoice>::read(&source, ReadMode::Full);
            let (mut count, mut lines) = (0u64, 0u64);
            while let Some(c) = stream.next().await {
                if let Change::Upsert(inv) = c.unwrap() {
                    count += 1;
                    lines += inv.lines.len() as u64;
                }
            }
            (count, lines, thread_cpu() - cpu0, t0.elapsed())
        });
        let _ = stop_tx.send(());
        server.join().unwrap();
        println!(
            "{n:>8} invoices: {count} read ({lines} lines), client CPU {:.2}s → {:.0} invoices per CPU-second, wall {:.2}s, peak RSS {:.1} MiB",
            cpu.as_secs_f64(),
            count as f64 / cpu.as_secs_f64().max(0.001),
            wall.as_secs_f64(),
            peak_rss_mib()
        );
    }
}
