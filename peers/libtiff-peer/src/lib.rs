//! libtiff peer.
