//! `ferrofax render`: documents (PDF, Office, plain text, images, fax TIFFs) to one
//! fax TIFF, with an optional cover page, a header line on every page and PNG
//! previews.

use std::collections::HashMap;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result, bail};
use clap::{Args, ValueEnum};
use fax_image::Page;
use fax_image::header::{self, HeaderFields, HeaderOptions};
use fax_image::tiff::{self, Compression, WriteOptions};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use render::pdf::PdfDocument;
use render::{CoverPage, FaxResolution, Kind, Lang, Mode, Options, Paper};

#[derive(Debug, Args)]
pub(crate) struct RenderArgs {
    /// Documents to render, in order: PDF, Word/Excel/PowerPoint/OpenDocument/RTF
    /// (through LibreOffice), UTF-8 text, PNG/JPEG/GIF/BMP/WebP/TIFF. Types are
    /// recognised by content, not by file name.
    #[arg(required = true)]
    inputs: Vec<PathBuf>,
    /// The fax TIFF to write (Class F, MMR), all pages of all inputs.
    #[arg(short, long)]
    output: PathBuf,
    /// Vertical resolution of the fax pages.
    #[arg(long, value_enum, default_value_t = ResolutionArg::Fine)]
    resolution: ResolutionArg,
    /// Paper size the pages are fitted to.
    #[arg(long, value_enum, default_value_t = PaperArg::A4)]
    paper: PaperArg,
    /// Conversion to black and white: a threshold for text and forms, error
    /// diffusion for photos, or a choice per page by content.
    #[arg(long, value_enum, default_value_t = ModeArg::Text)]
    mode: ModeArg,
    /// Stamp a header line on every page, the cover page included. The template's
    /// {date}, {time} and {tz} are the current UTC time, {page} and {pages} the page
    /// number and count; {from}, {from_number} and {to} come from --cover (empty
    /// without it). Other text is printed as written.
    #[arg(long)]
    header: Option<String>,
    /// Put a cover page first, from comma-separated KEY=VALUE pairs. Keys: to,
    /// to-number, from, from-number, subject, notes, lang (en, de or ja; default en).
    /// In values, write \, for a comma, \\ for a backslash and \n for a line break
    /// (notes). The option may be repeated, e.g. one --cover per field. The cover
    /// shows the page count including itself and the current UTC date.
    #[arg(long, value_name = "KEY=VALUE,...")]
    cover: Vec<String>,
    /// Write every page as DIR/page-N.png (created if missing) to look at before
    /// sending.
    #[arg(long, value_name = "DIR")]
    preview: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ResolutionArg {
    Standard,
    Fine,
    Superfine,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum PaperArg {
    A4,
    Letter,
    Legal,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ModeArg {
    Text,
    Photo,
    Auto,
}

/// Documents with at least this many pages report progress (a bar on a terminal,
/// a line per page otherwise); a single page needs none.
const PROGRESS_MIN_PAGES: usize = 2;

pub(crate) fn run(args: &RenderArgs) -> Result<()> {
    let options = Options {
        paper: match args.paper {
            PaperArg::A4 => Paper::A4,
            PaperArg::Letter => Paper::Letter,
            PaperArg::Legal => Paper::Legal,
        },
        resolution: match args.resolution {
            ResolutionArg::Standard => FaxResolution::Standard,
            ResolutionArg::Fine => FaxResolution::Fine,
            ResolutionArg::Superfine => FaxResolution::Superfine,
        },
        mode: match args.mode {
            ModeArg::Text => Mode::Text,
            ModeArg::Photo => Mode::Photo,
            ModeArg::Auto => Mode::Auto,
        },
        ..Options::default()
    };
    // Parse the cover before the slow part, so a typo fails at once.
    let cover = if args.cover.is_empty() { None } else { Some(parse_cover(&args.cover)?) };
    let (date, time) = crate::clock::utc_now();

    let mut pages = Vec::new();
    for input in &args.inputs {
        let rendered = render_input(input, &options)?;
        eprintln!("{}: {} page(s)", input.display(), rendered.len());
        pages.extend(rendered);
    }
    if pages.is_empty() {
        // Every renderer refuses empty documents; this guards the TIFF writer anyway.
        bail!("the inputs produced no pages");
    }
    if let Some(cover) = &cover {
        let total = u32::try_from(pages.len() + 1).unwrap_or(u32::MAX);
        let page = render::render_cover(
            &CoverPage { pages: total, date: format!("{date} {time} UTC"), ..cover.clone() },
            &options,
        )
        .context("cannot make the cover page")?;
        pages.insert(0, page);
    }
    if let Some(template) = &args.header {
        let fields = HeaderFields {
            date,
            time,
            tz: "UTC".to_owned(),
            from: cover.as_ref().map(|c| c.from.clone()).unwrap_or_default(),
            from_number: cover.as_ref().map(|c| c.from_number.clone()).unwrap_or_default(),
            to: cover.as_ref().map(|c| c.to.clone()).unwrap_or_default(),
            ..HeaderFields::default()
        };
        stamp_headers(&mut pages, template, &fields)?;
    }
    let write_options = WriteOptions {
        compression: Compression::Mmr,
        software: Some(concat!("Ferrofax ", env!("CARGO_PKG_VERSION")).to_owned()),
        ..WriteOptions::default()
    };
    let bytes = tiff::write(&pages, &write_options)?;
    std::fs::write(&args.output, bytes).with_context(|| format!("cannot write {}", args.output.display()))?;
    if let Some(dir) = &args.preview {
        write_previews(dir, &pages)?;
    }
    eprintln!("{}: {} page(s)", args.output.display(), pages.len());
    Ok(())
}

/// Parses the `--cover` values into a cover page (without date and page count,
/// which are filled in once the document is rendered).
fn parse_cover(values: &[String]) -> Result<CoverPage> {
    let mut fields: HashMap<String, String> = HashMap::new();
    for value in values {
        for pair in split_pairs(value)? {
            let Some((key, value)) = pair.split_once('=') else {
                bail!("--cover: expected KEY=VALUE, found a part without '='");
            };
            let key = key.trim().to_ascii_lowercase();
            if fields.insert(key.clone(), value.to_owned()).is_some() {
                bail!("--cover: the key {key} is given twice");
            }
        }
    }
    let mut cover = CoverPage::default();
    for (key, value) in fields {
        match key.as_str() {
            "to" => cover.to = value,
            "to-number" => cover.to_number = value,
            "from" => cover.from = value,
            "from-number" => cover.from_number = value,
            "subject" => cover.subject = value,
            "notes" => cover.notes = value,
            "lang" => {
                cover.lang = Lang::from_code(value.trim())
                    .with_context(|| format!("--cover: lang must be en, de or ja, not {value:?}"))?;
            }
            other => bail!(
                "--cover: unknown key {other:?}; the keys are to, to-number, from, from-number, subject, \
                 notes and lang"
            ),
        }
    }
    Ok(cover)
}

/// Splits `a=1,b=2` at unescaped commas, resolving `\,`, `\\` and `\n`.
fn split_pairs(value: &str) -> Result<Vec<String>> {
    let mut pairs = vec![String::new()];
    let mut chars = value.chars();
    while let Some(c) = chars.next() {
        let current = pairs.last_mut().context("--cover: internal state")?;
        match c {
            '\\' => match chars.next() {
                Some(',') => current.push(','),
                Some('\\') => current.push('\\'),
                Some('n') => current.push('\n'),
                Some(other) => bail!("--cover: unknown escape \\{other} (use \\, \\\\ or \\n)"),
                None => bail!("--cover: a value ends with a lone backslash"),
            },
            ',' => pairs.push(String::new()),
            c => current.push(c),
        }
    }
    // Tolerate a trailing comma and empty parts such as `a=1,,b=2`.
    pairs.retain(|p| !p.trim().is_empty());
    Ok(pairs)
}

/// How progress through one document is shown on stderr.
enum Progress {
    /// A bar, when stderr is a terminal.
    Bar(ProgressBar),
    /// One line per page, for logs and pipes.
    Lines { name: String, total: usize },
    /// Nothing: the document is too short to need it.
    Quiet,
}

impl Progress {
    fn new(name: &str, total: usize) -> Self {
        if total < PROGRESS_MIN_PAGES {
            return Self::Quiet;
        }
        if !std::io::stderr().is_terminal() {
            return Self::Lines { name: name.to_owned(), total };
        }
        let bar = ProgressBar::with_draw_target(Some(total as u64), ProgressDrawTarget::stderr());
        if let Ok(style) = ProgressStyle::with_template("{msg} [{bar:40}] {pos}/{len} pages, {eta} left") {
            bar.set_style(style.progress_chars("=> "));
        }
        bar.set_message(name.to_owned());
        Self::Bar(bar)
    }

    fn page_done(&self, done: usize) {
        match self {
            Self::Bar(bar) => bar.set_position(done as u64),
            Self::Lines { name, total } => eprintln!("{name}: page {done}/{total}"),
            Self::Quiet => {}
        }
    }

    fn finish(&self) {
        if let Self::Bar(bar) = self {
            bar.finish_and_clear();
        }
    }
}

/// Renders one input, naming it in any error. PDFs (and Office documents, once
/// LibreOffice has made them PDFs) go page by page to show progress; everything
/// else is one call.
fn render_input(path: &Path, options: &Options) -> Result<Vec<Page>> {
    let name = path.display().to_string();
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {name}"))?;
    let kind = render::sniff(&bytes).with_context(|| format!("{name}: cannot render"))?;
    let pdf = if kind == Kind::Pdf {
        bytes
    } else if kind.is_office() {
        convert_office(&name, &bytes, kind, options)?
    } else {
        return render::render(bytes, options).with_context(|| format!("{name}: cannot render"));
    };
    let document = PdfDocument::open(pdf, options.password.as_deref(), &options.limits)
        .with_context(|| format!("{name}: cannot render"))?;
    let total = document.page_count();
    let progress = Progress::new(&name, total);
    let mut pages = Vec::with_capacity(total);
    let result = document.render_each(options, |page| {
        pages.push(page);
        progress.page_done(pages.len());
        Ok(())
    });
    progress.finish();
    result.with_context(|| format!("{name}: cannot render"))?;
    Ok(pages)
}

/// Runs LibreOffice on an Office document, with a spinner on a terminal (it takes a
/// second or more) and a line otherwise.
fn convert_office(name: &str, bytes: &[u8], kind: Kind, options: &Options) -> Result<Vec<u8>> {
    let spinner = std::io::stderr().is_terminal().then(|| {
        let spinner = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
        spinner.set_message(format!("{name}: converting with LibreOffice"));
        spinner.enable_steady_tick(Duration::from_millis(120));
        spinner
    });
    if spinner.is_none() {
        eprintln!("{name}: converting {} with LibreOffice", kind.name());
    }
    let result = render::office::to_pdf(bytes, kind, options);
    if let Some(spinner) = spinner {
        spinner.finish_and_clear();
    }
    result.with_context(|| format!("{name}: cannot render"))
}

fn stamp_headers(pages: &mut [Page], template: &str, fields: &HeaderFields) -> Result<()> {
    let total = u32::try_from(pages.len()).unwrap_or(u32::MAX);
    for (index, page) in pages.iter_mut().enumerate() {
        let fields = HeaderFields {
            page: u32::try_from(index + 1).unwrap_or(u32::MAX),
            pages: Some(total),
            ..fields.clone()
        };
        let text = header::expand(template, &fields);
        header::stamp(page, &text, &HeaderOptions::default())?;
    }
    Ok(())
}

fn write_previews(dir: &Path, pages: &[Page]) -> Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    for (index, page) in pages.iter().enumerate() {
        let path = dir.join(format!("page-{}.png", index + 1));
        std::fs::write(&path, fax_image::png::write(page)?)
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(values: &[&str]) -> Vec<String> {
        values.iter().map(|v| (*v).to_owned()).collect()
    }

    #[test]
    fn cover_pairs_with_escapes() {
        let cover = parse_cover(&strings(&[
            r"to=Erika Mustermann,to-number=+49 30 123,subject=Order\, urgent,lang=DE",
            r"notes=Line one\nLine two with a \\ backslash",
        ]))
        .unwrap();
        assert_eq!(cover.to, "Erika Mustermann");
        assert_eq!(cover.to_number, "+49 30 123");
        assert_eq!(cover.subject, "Order, urgent");
        assert_eq!(cover.lang, Lang::De);
        assert_eq!(cover.notes, "Line one\nLine two with a \\ backslash");
    }

    #[test]
    fn cover_mistakes_are_reported() {
        for (bad, expected) in [
            ("to=a,to=b", "twice"),
            ("fax=1", "unknown key"),
            ("lang=fr", "lang must be"),
            ("subject", "KEY=VALUE"),
            (r"subject=a\x", "unknown escape"),
            ("subject=a\\", "lone backslash"),
        ] {
            let err = parse_cover(&strings(&[bad])).unwrap_err().to_string();
            assert!(err.contains(expected), "{bad}: {err}");
        }
    }
}
