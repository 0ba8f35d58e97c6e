//! `ferrofax image …`: converting and inspecting fax images.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand, ValueEnum};
use fax_image::tiff::{self, ByteOrder, Compression, WriteOptions};
use fax_image::{BitOrder, Limits, Page, Resolution};

#[derive(Debug, Subcommand)]
pub(crate) enum ImageCommand {
    /// Converts IN to OUT; formats come from the file extensions (.tif/.tiff, .pbm, .png).
    Convert(ConvertArgs),
    /// Shows the pages, sizes, resolution, coding and bad rows of a file.
    Info {
        /// A TIFF, PBM or PNG file.
        file: PathBuf,
    },
}

#[derive(Debug, Args)]
pub(crate) struct ConvertArgs {
    /// Input file (TIFF, PBM or PNG; recognised by content).
    input: PathBuf,
    /// Output file; with several pages and a .png name, one file per page is
    /// written as NAME-1.png, NAME-2.png, …
    output: PathBuf,
    /// Coding of a TIFF output.
    #[arg(long, value_enum, default_value_t = CodingArg::Mmr)]
    compression: CodingArg,
    /// K factor for MR: one one-dimensionally coded row in every K. Defaults to what
    /// T.4 recommends for the page: 2 at standard resolution, 4 above.
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    k: Option<u32>,
    /// Bit order of a TIFF output (FillOrder): msb (1) or lsb (2, as on the line).
    #[arg(long, value_enum, default_value_t = FillArg::Msb)]
    fill_order: FillArg,
    /// Byte-align EOL codes in MH/MR TIFF output (T4Options bit 2).
    #[arg(long)]
    byte_align: bool,
    /// Resolution for inputs that carry none (PBM, PNG without pHYs), or to
    /// override: standard, fine, superfine or XxY in dots per inch.
    #[arg(long, value_parser = parse_resolution)]
    resolution: Option<Resolution>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum CodingArg {
    None,
    Mh,
    Mr,
    Mmr,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum FillArg {
    Msb,
    Lsb,
}

/// The file formats the tool reads and writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Tiff,
    Pbm,
    Png,
}

impl Format {
    fn from_extension(path: &Path) -> Result<Self> {
        let ext = path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase);
        match ext.as_deref() {
            Some("tif" | "tiff") => Ok(Format::Tiff),
            Some("pbm") => Ok(Format::Pbm),
            Some("png") => Ok(Format::Png),
            _ => bail!("{}: unknown extension; use .tif, .tiff, .pbm or .png", path.display()),
        }
    }

    /// Recognises a file by its first bytes, so that a misnamed input still opens.
    fn sniff(bytes: &[u8]) -> Option<Self> {
        match bytes {
            [b'I', b'I', 42, 0, ..] | [b'M', b'M', 0, 42, ..] => Some(Format::Tiff),
            [b'P', b'1' | b'4', ..] => Some(Format::Pbm),
            [0x89, b'P', b'N', b'G', ..] => Some(Format::Png),
            _ => None,
        }
    }
}

pub(crate) fn run(command: ImageCommand) -> Result<()> {
    match command {
        ImageCommand::Convert(args) => convert(&args),
        ImageCommand::Info { file } => info(&file),
    }
}

fn parse_resolution(text: &str) -> Result<Resolution, String> {
    match text {
        "standard" => Ok(Resolution::STANDARD),
        "fine" => Ok(Resolution::FINE),
        "superfine" => Ok(Resolution::SUPERFINE),
        other => {
            let (x, y) = other.split_once(['x', '×']).ok_or("use standard, fine, superfine or XxY")?;
            let x_dpi = x.trim().parse().map_err(|_| "bad horizontal resolution")?;
            let y_dpi = y.trim().parse().map_err(|_| "bad vertical resolution")?;
            if x_dpi == 0 || y_dpi == 0 {
                return Err("resolution must be positive".into());
            }
            Ok(Resolution { x_dpi, y_dpi })
        }
    }
}

fn read_input(path: &Path, resolution: Option<Resolution>) -> Result<Vec<Page>> {
    let limits = Limits::default();
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    let format = match Format::sniff(&bytes) {
        Some(format) => format,
        None => Format::from_extension(path)?,
    };
    let default_resolution = resolution.unwrap_or_default();
    let mut pages = match format {
        Format::Tiff => tiff::read(&bytes, &limits)
            .with_context(|| format!("{} is not a readable fax TIFF", path.display()))?
            .into_iter()
            .map(|p| p.page)
            .collect(),
        Format::Pbm => fax_image::pbm::read(&bytes, default_resolution, &limits)
            .with_context(|| format!("{} is not a readable PBM file", path.display()))?,
        Format::Png => vec![
            fax_image::png::read(&bytes, default_resolution, &limits)
                .with_context(|| format!("{} is not a readable PNG file", path.display()))?,
        ],
    };
    if let Some(resolution) = resolution {
        pages.iter_mut().for_each(|page| page.set_resolution(resolution));
    }
    Ok(pages)
}

fn convert(args: &ConvertArgs) -> Result<()> {
    let pages = read_input(&args.input, args.resolution)?;
    let format = Format::from_extension(&args.output)?;
    match format {
        Format::Tiff => {
            let options = WriteOptions {
                compression: tiff_compression(args, &pages),
                fill_order: match args.fill_order {
                    FillArg::Msb => BitOrder::MsbFirst,
                    FillArg::Lsb => BitOrder::LsbFirst,
                },
                byte_order: ByteOrder::LittleEndian,
                software: Some(concat!("Ferrofax ", env!("CARGO_PKG_VERSION")).to_owned()),
            };
            let bytes = tiff::write(&pages, &options)?;
            write_file(&args.output, &bytes)?;
        }
        Format::Pbm => write_file(&args.output, &fax_image::pbm::write(&pages))?,
        Format::Png => {
            if pages.len() == 1 {
                write_file(&args.output, &fax_image::png::write(&pages[0])?)?;
            } else {
                for (index, page) in pages.iter().enumerate() {
                    write_file(&numbered(&args.output, index + 1), &fax_image::png::write(page)?)?;
                }
            }
        }
    }
    eprintln!("{}: {} page(s)", args.output.display(), pages.len());
    Ok(())
}

fn tiff_compression(args: &ConvertArgs, pages: &[Page]) -> Compression {
    let byte_aligned_eol = args.byte_align;
    match args.compression {
        CodingArg::None => Compression::Uncompressed,
        CodingArg::Mh => Compression::Mh { byte_aligned_eol },
        CodingArg::Mr => {
            // T.4 §4.2.1: K = 2 at standard vertical resolution, 4 at higher ones.
            let standard = pages.first().is_some_and(|p| p.resolution().y_dpi < 150);
            let k = args.k.unwrap_or(if standard { 2 } else { 4 });
            Compression::Mr { k, byte_aligned_eol }
        }
        CodingArg::Mmr => Compression::Mmr,
    }
}

/// `out.png` with page 3 becomes `out-3.png`.
fn numbered(path: &Path, n: usize) -> PathBuf {
    let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or("page");
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("png");
    path.with_file_name(format!("{stem}-{n}.{ext}"))
}

fn write_file(path: &Path, bytes: &[u8]) -> Result<()> {
    std::fs::write(path, bytes).with_context(|| format!("cannot write {}", path.display()))
}

fn info(path: &Path) -> Result<()> {
    let limits = Limits::default();
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    let format = match Format::sniff(&bytes) {
        Some(format) => format,
        None => Format::from_extension(path)?,
    };
    match format {
        Format::Tiff => tiff_info(path, &bytes, &limits),
        Format::Pbm | Format::Png => {
            let pages = read_input(path, None)?;
            println!(
                "{}: {}, {} page(s)",
                path.display(),
                if format == Format::Pbm { "PBM" } else { "PNG" },
                pages.len()
            );
            println!("{:>4}  {:>11}  {:>9}  {:>8}", "page", "size", "dpi", "black");
            for (index, page) in pages.iter().enumerate() {
                let total = u64::from(page.width()) * u64::from(page.height());
                println!(
                    "{:>4}  {:>11}  {:>9}  {:>7.2}%",
                    index + 1,
                    format!("{}×{}", page.width(), page.height()),
                    format!("{}×{}", page.resolution().x_dpi, page.resolution().y_dpi),
                    100.0 * page.black_pixels() as f64 / total as f64
                );
            }
            Ok(())
        }
    }
}

fn tiff_info(path: &Path, bytes: &[u8], limits: &Limits) -> Result<()> {
    let reader = tiff::Reader::new(bytes, limits)
        .with_context(|| format!("{} is not a readable TIFF", path.display()))?;
    let byte_order = match reader.byte_order() {
        ByteOrder::LittleEndian => "little-endian",
        ByteOrder::BigEndian => "big-endian",
    };
    println!("{}: TIFF, {byte_order}, {} page(s)", path.display(), reader.page_count());
    println!(
        "{:>4}  {:>11}  {:>9}  {:<6}  {:<4}  {:>6}  {:>11}  {:>11}  {:>8}",
        "page", "size", "dpi", "coding", "fill", "strips", "bad stored", "bad decoded", "longest"
    );
    let mut failures = 0;
    for index in 0..reader.page_count() {
        let Some(page) = reader.page_info(index) else { continue };
        let coding = page.coding().map_or("none", fax_image::Coding::name);
        let fill = if page.fill_order == BitOrder::MsbFirst { "msb" } else { "lsb" };
        let stored = page.bad_fax_lines.map_or_else(|| "-".to_owned(), |n| n.to_string());
        let (decoded, longest) = match reader.decode_page(index) {
            Ok(decoded) => {
                (decoded.report.bad_rows.to_string(), decoded.report.max_consecutive_bad_rows.to_string())
            }
            Err(error) => {
                failures += 1;
                (format!("error: {error}"), "-".to_owned())
            }
        };
        println!(
            "{:>4}  {:>11}  {:>9}  {:<6}  {:<4}  {:>6}  {:>11}  {:>11}  {:>8}",
            index + 1,
            format!("{}×{}", page.width, page.height),
            format!("{}×{}", page.resolution.x_dpi, page.resolution.y_dpi),
            coding,
            fill,
            page.strips,
            stored,
            decoded,
            longest
        );
        for (label, text) in
            [("description", &page.description), ("software", &page.software), ("date", &page.datetime)]
        {
            if let Some(text) = text {
                println!("      {label}: {}", text.escape_debug());
            }
        }
    }
    if failures > 0 {
        bail!("{failures} page(s) could not be decoded");
    }
    Ok(())
}
