//! PNG. (Being written.)
