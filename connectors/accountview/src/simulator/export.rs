//! The file side of the simulator: an exchange folder with what AccountView's export
//! definitions would have written for the demo company.

use std::path::Path;

use connector_core::system::options;
use connector_core::{Error, Result};
use connector_file::exchange::Outbox;
use connector_testkit::simulator::FolderSimulator;

/// The demo company's debtors as an export file.
const DEBTORS: &str = "SUB_NR;SRC_CODE;ACCT_NAME;MAIL_BUS;TEL_BUS;ADDRESS1;POST_CODE;CITY;CNT_CODE;CUR_CODE;CRED_LIM;BLK_SP;CNG_DATE
1001;JANSEN;Fietsen Jansen B.V.;inkoop@jansen.example;+31 20 555 0101;Damrak 1;1012 LG;Amsterdam;NL;EUR;5000;F;2024-03-01T10:00:00
1002;DEVRIES;Anna de Vries;anna@devries.example;;Oudegracht 12;3511 AP;Utrecht;NL;EUR;0;F;2024-04-02T08:15:00
1003;GESLOTEN;Gesloten Winkel;;;;;;NL;EUR;0;T;2022-12-31T23:59:59
";

/// The demo company's articles as an export file.
const ARTICLES: &str = "ART_CODE;ART_DESC1;ART_DESC2;SALES_PRC;UNIT;EAN_CODE
100200;Fietsbel chroom;Klassieke bel;4,95;st;8712345678906
100300;Zadel comfort;;39,50;st;
100400;Binnenband 28\";;6,25;st;
";

/// The demo company's stock as an export file of its own.
const STOCK: &str = "ART_CODE;STOCK;RESERVED
100200;120;15
100300;8;9
100400;40,5;0
";

/// An order of the demo company as an export file: a row per line.
const ORDERS: &str =
    "ORD_NR;SUB_NR;ORD_DATE;CUR_CODE;DISC_CODE;DD_ACT;ART_CODE;ART_DESC1;ART_QTY;ART_PX;DISC_PCT
240001;1001;2024-05-02T00:00:00;EUR;30;F;100200;Fietsbel chroom;10;4,95;0
240001;1001;2024-05-02T00:00:00;EUR;30;F;100400;Binnenband 28;4;6,25;5
";

/// `folder` as AccountView's exchange folder: `export/` with the demo company's debtors,
/// articles and an order (each delivered whole), `import/` for what a connector writes.
pub fn export_folder(folder: impl AsRef<Path>) -> Result<FolderSimulator> {
    let folder = folder.as_ref();
    let io = |e: std::io::Error| Error::config(format!("{}: {e}", folder.display()));
    let export = Outbox::new(folder.join("export")).map_err(io)?;
    for (name, text) in [
        ("debtors-0001.csv", DEBTORS),
        ("articles-0001.csv", ARTICLES),
        ("stock-0001.csv", STOCK),
        ("orders-0001.csv", ORDERS),
    ] {
        if !folder.join("export").join(name).exists() {
            export.deliver(name, text.as_bytes(), false).map_err(io)?;
        }
    }
    std::fs::create_dir_all(folder.join("import")).map_err(io)?;
    let options = options([
        ("transport", "file".to_owned()),
        ("folder", folder.display().to_string()),
        ("timezone", "Europe/Amsterdam".to_owned()),
    ]);
    Ok(FolderSimulator::new(folder, options)?
        .note("export/ holds the demo company's debtors, articles, stock and an order; files to import go to import/"))
}
