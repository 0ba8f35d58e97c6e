//! TIFF Class F. (Being written.)
