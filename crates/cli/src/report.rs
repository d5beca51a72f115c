//! `parindex report chairman --plan bac-giang-2021 --month 2021-08 -o FILE.docx|FILE.xlsx|FILE.pdf`:
//! the Chairman's monthly report, as of the global `--as-of` clock. The format follows the
//! file's extension.

use anyhow::{bail, Context, Result};
use clap::Subcommand;
use parindex_domain::calendar::Clock;
use parindex_store::Store;
use std::path::PathBuf;

#[derive(Subcommand)]
pub enum ReportCommand {
    /// The Chairman's monthly report on the plan: .docx (Decree 30/2020/NĐ-CP format), .xlsx or
    /// .pdf (the same document as the .docx).
    Chairman {
        #[arg(long, default_value = "bac-giang-2021")]
        plan: String,
        /// The month reported on, e.g. 2021-08; the clock's month by default.
        #[arg(long)]
        month: Option<String>,
        /// The file to write: FILE.docx, FILE.xlsx or FILE.pdf.
        #[arg(short = 'o', long)]
        output: PathBuf,
    },
}

pub async fn run(store: &Store, command: ReportCommand, clock: Clock) -> Result<()> {
    match command {
        ReportCommand::Chairman {
            plan,
            month,
            output,
        } => {
            let today = clock.today();
            let month = match month {
                Some(m) => parindex_reports::parse_month(&m)?,
                None => (i32::from(today.year()), today.month()),
            };
            let ext = output
                .extension()
                .and_then(|e| e.to_str())
                .map(str::to_ascii_lowercase)
                .unwrap_or_default();
            if !matches!(ext.as_str(), "docx" | "xlsx" | "pdf") {
                bail!(
                    "{}: the file must end in .docx, .xlsx or .pdf",
                    output.display()
                );
            }
            let data = parindex_reports::chairman_report_data(store, &plan, month, today)
                .await
                .with_context(|| format!("cannot gather the report on plan {plan}"))?;
            let bytes = match ext.as_str() {
                "docx" => parindex_reports::chairman_docx(&data)?,
                "pdf" => parindex_reports::chairman_pdf(&data)?,
                _ => parindex_reports::chairman_xlsx(&data)?,
            };
            std::fs::write(&output, &bytes)
                .with_context(|| format!("cannot write {}", output.display()))?;
            eprintln!(
                "{}: the report on {plan} for {:02}/{} as of {} ({} bytes)",
                output.display(),
                month.1,
                month.0,
                parindex_reports::text::dmy(today),
                bytes.len()
            );
        }
    }
    Ok(())
}
