//! The raw libtiff calls, kept in one module so that every `unsafe` block of this
//! crate sits next to the C declaration it relies on.

// Calling a C library is the point of a peer crate; the workspace denies unsafe code
// and this module is the one place in it that opts back in.
#![allow(unsafe_code)]

use std::ffi::{CStr, c_char, c_double, c_int, c_uint, c_void};

use crate::LibtiffError;

pub(crate) const TAG_SUBFILETYPE: u32 = 254;
pub(crate) const TAG_IMAGEWIDTH: u32 = 256;
pub(crate) const TAG_IMAGELENGTH: u32 = 257;
pub(crate) const TAG_BITSPERSAMPLE: u32 = 258;
pub(crate) const TAG_COMPRESSION: u32 = 259;
pub(crate) const TAG_PHOTOMETRIC: u32 = 262;
pub(crate) const TAG_FILLORDER: u32 = 266;
pub(crate) const TAG_SAMPLESPERPIXEL: u32 = 277;
pub(crate) const TAG_ROWSPERSTRIP: u32 = 278;
pub(crate) const TAG_XRESOLUTION: u32 = 282;
pub(crate) const TAG_YRESOLUTION: u32 = 283;
pub(crate) const TAG_GROUP3OPTIONS: u32 = 292;
pub(crate) const TAG_GROUP4OPTIONS: u32 = 293;
pub(crate) const TAG_RESOLUTIONUNIT: u32 = 296;
pub(crate) const TAG_PAGENUMBER: u32 = 297;

#[repr(C)]
struct RawTiff {
    _private: [u8; 0],
}

type ReadWriteProc = extern "C" fn(*mut c_void, *mut c_void, isize) -> isize;
type SeekProc = extern "C" fn(*mut c_void, u64, c_int) -> u64;
type CloseProc = extern "C" fn(*mut c_void) -> c_int;
type SizeProc = extern "C" fn(*mut c_void) -> u64;
type MapProc = extern "C" fn(*mut c_void, *mut *mut c_void, *mut u64) -> c_int;
type UnmapProc = extern "C" fn(*mut c_void, *mut c_void, u64);
type ErrorHandler = Option<extern "C" fn()>;

#[link(name = "tiff")]
unsafe extern "C" {
    fn TIFFClientOpen(
        name: *const c_char,
        mode: *const c_char,
        handle: *mut c_void,
        read: ReadWriteProc,
        write: ReadWriteProc,
        seek: SeekProc,
        close: CloseProc,
        size: SizeProc,
        map: MapProc,
        unmap: UnmapProc,
    ) -> *mut RawTiff;
    fn TIFFClose(tiff: *mut RawTiff);
    fn TIFFSetField(tiff: *mut RawTiff, tag: u32, ...) -> c_int;
    fn TIFFGetField(tiff: *mut RawTiff, tag: u32, ...) -> c_int;
    fn TIFFWriteEncodedStrip(tiff: *mut RawTiff, strip: u32, data: *mut c_void, size: isize) -> isize;
    fn TIFFReadEncodedStrip(tiff: *mut RawTiff, strip: u32, data: *mut c_void, size: isize) -> isize;
    fn TIFFStripSize(tiff: *mut RawTiff) -> isize;
    fn TIFFNumberOfStrips(tiff: *mut RawTiff) -> u32;
    fn TIFFRawStripSize64(tiff: *mut RawTiff, strip: u32) -> u64;
    fn TIFFWriteDirectory(tiff: *mut RawTiff) -> c_int;
    fn TIFFReadDirectory(tiff: *mut RawTiff) -> c_int;
    // The real handler type is variadic; we only ever pass NULL to silence libtiff,
    // because the tests check warnings through the `tiffinfo` tool instead.
    fn TIFFSetWarningHandler(handler: ErrorHandler) -> ErrorHandler;
    fn TIFFSetErrorHandler(handler: ErrorHandler) -> ErrorHandler;
}

/// A growable in-memory file that libtiff reads and writes through callbacks.
#[derive(Debug)]
pub(crate) struct MemFile {
    data: Vec<u8>,
    position: usize,
}

impl MemFile {
    pub(crate) fn new(data: Vec<u8>) -> Self {
        Self { data, position: 0 }
    }

    pub(crate) fn into_inner(self) -> Vec<u8> {
        self.data
    }
}

/// Recovers the `MemFile` behind libtiff's client handle.
///
/// # Safety
/// `handle` must be the pointer given to `TIFFClientOpen` by [`Tiff::open`], whose
/// `MemFile` outlives the `Tiff` and is not otherwise borrowed while libtiff runs.
unsafe fn mem_file<'a>(handle: *mut c_void) -> &'a mut MemFile {
    // SAFETY: guaranteed by the caller, see above.
    unsafe { &mut *handle.cast::<MemFile>() }
}

extern "C" fn mem_read(handle: *mut c_void, buf: *mut c_void, size: isize) -> isize {
    // SAFETY: libtiff passes back the handle we gave it.
    let file = unsafe { mem_file(handle) };
    let available = file.data.len().saturating_sub(file.position);
    let count = available.min(size.max(0) as usize);
    // SAFETY: libtiff guarantees `buf` has room for `size` bytes; `count <= size`.
    unsafe {
        std::ptr::copy_nonoverlapping(file.data.as_ptr().add(file.position), buf.cast::<u8>(), count);
    }
    file.position += count;
    count as isize
}

extern "C" fn mem_write(handle: *mut c_void, buf: *mut c_void, size: isize) -> isize {
    // SAFETY: libtiff passes back the handle we gave it.
    let file = unsafe { mem_file(handle) };
    let count = size.max(0) as usize;
    let end = file.position + count;
    if file.data.len() < end {
        file.data.resize(end, 0);
    }
    // SAFETY: libtiff guarantees `buf` holds `size` readable bytes.
    let source = unsafe { std::slice::from_raw_parts(buf.cast::<u8>(), count) };
    file.data[file.position..end].copy_from_slice(source);
    file.position = end;
    count as isize
}

extern "C" fn mem_seek(handle: *mut c_void, offset: u64, whence: c_int) -> u64 {
    // SAFETY: libtiff passes back the handle we gave it.
    let file = unsafe { mem_file(handle) };
    let base = match whence {
        0 => 0i128,
        1 => file.position as i128,
        _ => file.data.len() as i128,
    };
    // libtiff passes negative relative offsets as two's complement u64.
    let target = base + i128::from(offset as i64);
    if target < 0 {
        return u64::MAX;
    }
    file.position = target as usize;
    file.position as u64
}

extern "C" fn mem_close(_handle: *mut c_void) -> c_int {
    0
}

extern "C" fn mem_size(handle: *mut c_void) -> u64 {
    // SAFETY: libtiff passes back the handle we gave it.
    unsafe { mem_file(handle) }.data.len() as u64
}

extern "C" fn mem_map(_handle: *mut c_void, _base: *mut *mut c_void, _size: *mut u64) -> c_int {
    0
}

extern "C" fn mem_unmap(_handle: *mut c_void, _base: *mut c_void, _size: u64) {}

/// An open libtiff handle over a [`MemFile`]; closed (and flushed) on drop.
pub(crate) struct Tiff<'a> {
    raw: *mut RawTiff,
    _file: std::marker::PhantomData<&'a mut MemFile>,
}

impl std::fmt::Debug for Tiff<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Tiff")
    }
}

impl<'a> Tiff<'a> {
    pub(crate) fn open(file: &'a mut MemFile, mode: &CStr) -> Result<Self, LibtiffError> {
        // SAFETY: passing NULL restores libtiff's "no handler" state, which is valid.
        unsafe {
            TIFFSetWarningHandler(None);
            TIFFSetErrorHandler(None);
        }
        // SAFETY: the callbacks match libtiff's prototypes; `file` outlives the
        // returned handle thanks to the lifetime on `Tiff`, and nothing else touches
        // it while the handle is open because we hold its unique borrow.
        let raw = unsafe {
            TIFFClientOpen(
                c"memory".as_ptr(),
                mode.as_ptr(),
                std::ptr::from_mut(file).cast::<c_void>(),
                mem_read,
                mem_write,
                mem_seek,
                mem_close,
                mem_size,
                mem_map,
                mem_unmap,
            )
        };
        if raw.is_null() {
            return Err(LibtiffError("TIFFClientOpen"));
        }
        Ok(Self { raw, _file: std::marker::PhantomData })
    }

    fn check(ok: c_int, what: &'static str) -> Result<(), LibtiffError> {
        if ok == 1 { Ok(()) } else { Err(LibtiffError(what)) }
    }

    pub(crate) fn set_u32(&self, tag: u32, value: u32) -> Result<(), LibtiffError> {
        // SAFETY: libtiff reads a uint32_t vararg for these tags.
        Self::check(unsafe { TIFFSetField(self.raw, tag, value as c_uint) }, "TIFFSetField")
    }

    pub(crate) fn set_u16(&self, tag: u32, value: u16) -> Result<(), LibtiffError> {
        // SAFETY: libtiff reads uint16_t tags as an int vararg (C default promotion).
        Self::check(unsafe { TIFFSetField(self.raw, tag, c_int::from(value)) }, "TIFFSetField")
    }

    pub(crate) fn set_u16_pair(&self, tag: u32, first: u16, second: u16) -> Result<(), LibtiffError> {
        // SAFETY: PageNumber takes two uint16_t values, each promoted to int.
        Self::check(
            unsafe { TIFFSetField(self.raw, tag, c_int::from(first), c_int::from(second)) },
            "TIFFSetField",
        )
    }

    pub(crate) fn set_f64(&self, tag: u32, value: f64) -> Result<(), LibtiffError> {
        // SAFETY: libtiff reads RATIONAL tags as a double vararg.
        Self::check(unsafe { TIFFSetField(self.raw, tag, value as c_double) }, "TIFFSetField")
    }

    pub(crate) fn get_u32(&self, tag: u32) -> Result<u32, LibtiffError> {
        let mut value: u32 = 0;
        // SAFETY: libtiff stores a uint32_t through the pointer for these tags.
        Self::check(unsafe { TIFFGetField(self.raw, tag, &mut value as *mut u32) }, "TIFFGetField")?;
        Ok(value)
    }

    pub(crate) fn get_u16(&self, tag: u32) -> Result<u16, LibtiffError> {
        let mut value: u16 = 0;
        // SAFETY: libtiff stores a uint16_t through the pointer for these tags.
        Self::check(unsafe { TIFFGetField(self.raw, tag, &mut value as *mut u16) }, "TIFFGetField")?;
        Ok(value)
    }

    pub(crate) fn get_f32(&self, tag: u32) -> Result<f32, LibtiffError> {
        let mut value: f32 = 0.0;
        // SAFETY: libtiff stores a float through the pointer for RATIONAL tags.
        Self::check(unsafe { TIFFGetField(self.raw, tag, &mut value as *mut f32) }, "TIFFGetField")?;
        Ok(value)
    }

    pub(crate) fn write_strip(&self, data: &[u8]) -> Result<(), LibtiffError> {
        // libtiff may flip bits in place for FillOrder 2, so it gets its own copy.
        let mut copy = data.to_vec();
        // SAFETY: the buffer holds `copy.len()` bytes for the duration of the call.
        let written = unsafe {
            TIFFWriteEncodedStrip(self.raw, 0, copy.as_mut_ptr().cast::<c_void>(), copy.len() as isize)
        };
        if written < 0 { Err(LibtiffError("TIFFWriteEncodedStrip")) } else { Ok(()) }
    }

    pub(crate) fn number_of_strips(&self) -> u32 {
        // SAFETY: `raw` is an open handle.
        unsafe { TIFFNumberOfStrips(self.raw) }
    }

    pub(crate) fn raw_strip_size(&self, strip: u32) -> u64 {
        // SAFETY: `raw` is an open handle; libtiff bounds-checks `strip`.
        unsafe { TIFFRawStripSize64(self.raw, strip) }
    }

    pub(crate) fn read_strip(&self, strip: u32) -> Result<Vec<u8>, LibtiffError> {
        // SAFETY: `raw` is an open handle.
        let size = unsafe { TIFFStripSize(self.raw) };
        if size <= 0 {
            return Err(LibtiffError("TIFFStripSize"));
        }
        let mut buffer = vec![0u8; size as usize];
        // SAFETY: the buffer has room for `size` bytes.
        let read =
            unsafe { TIFFReadEncodedStrip(self.raw, strip, buffer.as_mut_ptr().cast::<c_void>(), size) };
        if read < 0 {
            return Err(LibtiffError("TIFFReadEncodedStrip"));
        }
        buffer.truncate(read as usize);
        Ok(buffer)
    }

    pub(crate) fn write_directory(&self) -> Result<(), LibtiffError> {
        // SAFETY: `raw` is an open handle.
        Self::check(unsafe { TIFFWriteDirectory(self.raw) }, "TIFFWriteDirectory")
    }

    /// Moves to the next page; false at the end of the chain.
    pub(crate) fn read_directory(&self) -> bool {
        // SAFETY: `raw` is an open handle.
        unsafe { TIFFReadDirectory(self.raw) == 1 }
    }
}

impl Drop for Tiff<'_> {
    fn drop(&mut self) {
        // SAFETY: `raw` is open and is closed exactly once, here.
        unsafe { TIFFClose(self.raw) };
    }
}
