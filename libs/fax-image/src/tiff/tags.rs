//! Tag numbers, field types and values from TIFF 6.0 and RFC 2306 (TIFF-F).

// Tags, in ascending order as a writer must emit them.
pub(super) const NEW_SUBFILE_TYPE: u16 = 254;
pub(super) const IMAGE_WIDTH: u16 = 256;
pub(super) const IMAGE_LENGTH: u16 = 257;
pub(super) const BITS_PER_SAMPLE: u16 = 258;
pub(super) const COMPRESSION: u16 = 259;
pub(super) const PHOTOMETRIC: u16 = 262;
pub(super) const FILL_ORDER: u16 = 266;
pub(super) const IMAGE_DESCRIPTION: u16 = 270;
pub(super) const MAKE: u16 = 271;
pub(super) const MODEL: u16 = 272;
pub(super) const STRIP_OFFSETS: u16 = 273;
pub(super) const ORIENTATION: u16 = 274;
pub(super) const SAMPLES_PER_PIXEL: u16 = 277;
pub(super) const ROWS_PER_STRIP: u16 = 278;
pub(super) const STRIP_BYTE_COUNTS: u16 = 279;
pub(super) const X_RESOLUTION: u16 = 282;
pub(super) const Y_RESOLUTION: u16 = 283;
pub(super) const PLANAR_CONFIGURATION: u16 = 284;
pub(super) const T4_OPTIONS: u16 = 292;
pub(super) const T6_OPTIONS: u16 = 293;
pub(super) const RESOLUTION_UNIT: u16 = 296;
pub(super) const PAGE_NUMBER: u16 = 297;
pub(super) const SOFTWARE: u16 = 305;
pub(super) const DATE_TIME: u16 = 306;
pub(super) const BAD_FAX_LINES: u16 = 326;
pub(super) const CLEAN_FAX_DATA: u16 = 327;
pub(super) const CONSECUTIVE_BAD_FAX_LINES: u16 = 328;

// Field types. Readers must skip fields of types they do not know, so only the sizes
// of the TIFF 6.0 types are listed.
pub(super) const TYPE_BYTE: u16 = 1;
pub(super) const TYPE_ASCII: u16 = 2;
pub(super) const TYPE_SHORT: u16 = 3;
pub(super) const TYPE_LONG: u16 = 4;
pub(super) const TYPE_RATIONAL: u16 = 5;

/// Size in bytes of one value of a TIFF 6.0 field type.
pub(super) fn type_size(field_type: u16) -> Option<u64> {
    match field_type {
        1 | 2 | 6 | 7 => Some(1), // BYTE, ASCII, SBYTE, UNDEFINED
        3 | 8 => Some(2),         // SHORT, SSHORT
        4 | 9 | 11 => Some(4),    // LONG, SLONG, FLOAT
        5 | 10 | 12 => Some(8),   // RATIONAL, SRATIONAL, DOUBLE
        _ => None,
    }
}

// Values.
pub(super) const COMPRESSION_NONE: u16 = 1;
pub(super) const COMPRESSION_T4: u16 = 3;
pub(super) const COMPRESSION_T6: u16 = 4;
pub(super) const PHOTOMETRIC_WHITE_IS_ZERO: u16 = 0;
pub(super) const PHOTOMETRIC_BLACK_IS_ZERO: u16 = 1;
pub(super) const RESOLUTION_UNIT_NONE: u16 = 1;
pub(super) const RESOLUTION_UNIT_INCH: u16 = 2;
pub(super) const RESOLUTION_UNIT_CM: u16 = 3;
/// `NewSubfileType` bit 0: a reduced-resolution version of another image.
pub(super) const SUBFILE_REDUCED: u32 = 1;
/// `NewSubfileType` bit 1: one page of a multi-page document.
pub(super) const SUBFILE_PAGE: u32 = 2;
/// `T4Options` bit 0: two-dimensional coding.
pub(super) const T4_2D: u32 = 1;
/// `T4Options` bit 2: fill bits before each EOL so that it ends on a byte boundary.
pub(super) const T4_BYTE_ALIGNED: u32 = 4;

/// For a tag this crate reads, a number below 128 unique to it (all these tags lie
/// in 254..=328), so that a directory reader can track the tags it has seen in one
/// `u128`; `None` for tags the parser ignores.
pub(super) fn slot(tag: u16) -> Option<u32> {
    (name(tag) != "tag").then(|| u32::from(tag - NEW_SUBFILE_TYPE))
}

/// Name of a tag this crate reads, for error messages.
pub(super) fn name(tag: u16) -> &'static str {
    match tag {
        NEW_SUBFILE_TYPE => "NewSubfileType",
        IMAGE_WIDTH => "ImageWidth",
        IMAGE_LENGTH => "ImageLength",
        BITS_PER_SAMPLE => "BitsPerSample",
        COMPRESSION => "Compression",
        PHOTOMETRIC => "PhotometricInterpretation",
        FILL_ORDER => "FillOrder",
        IMAGE_DESCRIPTION => "ImageDescription",
        MAKE => "Make",
        MODEL => "Model",
        STRIP_OFFSETS => "StripOffsets",
        ORIENTATION => "Orientation",
        SAMPLES_PER_PIXEL => "SamplesPerPixel",
        ROWS_PER_STRIP => "RowsPerStrip",
        STRIP_BYTE_COUNTS => "StripByteCounts",
        X_RESOLUTION => "XResolution",
        Y_RESOLUTION => "YResolution",
        PLANAR_CONFIGURATION => "PlanarConfiguration",
        T4_OPTIONS => "T4Options",
        T6_OPTIONS => "T6Options",
        RESOLUTION_UNIT => "ResolutionUnit",
        PAGE_NUMBER => "PageNumber",
        SOFTWARE => "Software",
        DATE_TIME => "DateTime",
        BAD_FAX_LINES => "BadFaxLines",
        CLEAN_FAX_DATA => "CleanFaxData",
        CONSECUTIVE_BAD_FAX_LINES => "ConsecutiveBadFaxLines",
        _ => "tag",
    }
}
