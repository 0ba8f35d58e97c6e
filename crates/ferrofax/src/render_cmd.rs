//! `ferrofax render`: documents (PDF, images, fax TIFFs) to one fax TIFF, with an
//! optional header line on every page and PNG previews.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use clap::{Args, ValueEnum};
use fax_image::Page;
use fax_image::header::{self, HeaderFields, HeaderOptions};
use fax_image::tiff::{self, Compression, WriteOptions};
use render::pdf::PdfDocument;
use render::{FaxResolution, Kind, Mode, Options, Paper};

#[derive(Debug, Args)]
pub(crate) struct RenderArgs {
    /// Documents to render, in order; their types are recognised by content.
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
    /// Stamp a header line on every page. The template's {date}, {time} and {tz}
    /// are the current UTC time, {page} and {pages} the page number and count;
    /// {from}, {from_number} and {to} are empty here. Other text is printed as written.
    #[arg(long)]
    header: Option<String>,
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

/// Documents with at least this many pages get a progress line per page: at a
/// few tenths of a second per page, shorter ones finish before anyone wonders.
const PROGRESS_MIN_PAGES: usize = 5;

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
    if let Some(template) = &args.header {
        stamp_headers(&mut pages, template)?;
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

/// Renders one input, naming it in any error. PDFs go page by page so that long
/// ones can show progress; everything else is one call.
fn render_input(path: &Path, options: &Options) -> Result<Vec<Page>> {
    let name = path.display();
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {name}"))?;
    let kind = render::sniff(&bytes).with_context(|| format!("{name}: cannot render"))?;
    if kind != Kind::Pdf {
        return render::render(bytes, options).with_context(|| format!("{name}: cannot render"));
    }
    let document = PdfDocument::open(bytes, options.password.as_deref(), &options.limits)
        .with_context(|| format!("{name}: cannot render"))?;
    let total = document.page_count();
    let mut pages = Vec::with_capacity(total);
    document
        .render_each(options, |page| {
            pages.push(page);
            if total >= PROGRESS_MIN_PAGES {
                eprintln!("{name}: page {}/{total}", pages.len());
            }
            Ok(())
        })
        .with_context(|| format!("{name}: cannot render"))?;
    Ok(pages)
}

fn stamp_headers(pages: &mut [Page], template: &str) -> Result<()> {
    let (date, time) = crate::clock::utc_now();
    let total = u32::try_from(pages.len()).unwrap_or(u32::MAX);
    for (index, page) in pages.iter_mut().enumerate() {
        let fields = HeaderFields {
            date: date.clone(),
            time: time.clone(),
            tz: "UTC".to_owned(),
            page: u32::try_from(index + 1).unwrap_or(u32::MAX),
            pages: Some(total),
            ..HeaderFields::default()
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
