//! PBM (P4). (Being written.)
