//! The storage suite, run against every backend: local disk and an S3 server.
//!
//! Each case takes a [`Fixture`]: the encrypted store under test and a plain
//! `object_store` handle on the same place, through which the cases plant altered
//! or copied objects as an attacker with access to the storage could.

#![allow(dead_code)]

use std::sync::Arc;

use blob::{BlobId, BlobStore, Error, Location, MAX_OBJECT_BYTES, MasterKey};
use object_store::path::Path as StorePath;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};

/// A recognisable plaintext pattern; if encryption were skipped it would show in the
/// stored bytes.
pub const PATTERN: &[u8] = b"FERROFAX-PLAINTEXT-PATTERN-0123456789-";

pub struct Fixture {
    pub location: Location,
    pub key: MasterKey,
    pub store: BlobStore,
    pub backend: Arc<dyn ObjectStore>,
}

impl Fixture {
    pub fn new(location: Location, backend: Arc<dyn ObjectStore>) -> Fixture {
        let key = MasterKey::generate().expect("a master key");
        let store = BlobStore::open(&location, key.clone()).expect("store opens");
        Fixture { location, key, store, backend }
    }

    async fn write_raw(&self, id: &BlobId, bytes: Vec<u8>) {
        self.backend.put(&StorePath::from(id.as_str()), PutPayload::from(bytes)).await.expect("raw write");
    }
}

fn patterned(len: usize) -> Vec<u8> {
    PATTERN.iter().copied().cycle().take(len).collect()
}

pub async fn round_trip(fx: &Fixture) {
    for len in [0, 1, 15, 16, 17, 4096, 1 << 20] {
        let data = patterned(len);
        let id = fx.store.put("upload", &data).await.expect("put");
        assert_eq!(id.class(), "upload");
        assert!(fx.store.exists(&id).await.expect("exists"));
        assert_eq!(fx.store.get(&id).await.expect("get"), data, "round trip of {len} bytes");
        assert_eq!(fx.store.key_id_of(&id).await.expect("key id"), fx.key.id());
    }
}

pub async fn stored_bytes_are_encrypted(fx: &Fixture) {
    let data = patterned(PATTERN.len() * 1000);
    let first = fx.store.put("rendered", &data).await.expect("put");
    let second = fx.store.put("rendered", &data).await.expect("put");
    let raw_first = fx.store.raw(&first).await.expect("raw");
    let raw_second = fx.store.raw(&second).await.expect("raw");
    for raw in [&raw_first, &raw_second] {
        assert!(raw.len() > data.len(), "stored object carries a header and a tag");
        // Not even a 12-byte run of the pattern survives.
        for window in PATTERN.windows(12) {
            assert!(!raw.windows(window.len()).any(|w| w == window), "plaintext visible in stored bytes");
        }
    }
    assert_ne!(raw_first, raw_second, "two puts of the same data must differ");
    // The ciphertexts differ throughout, not just in the header: fresh keys and nonces.
    let tail = 1000;
    assert_ne!(raw_first[raw_first.len() - tail..], raw_second[raw_second.len() - tail..]);
}

pub async fn any_changed_byte_is_detected(fx: &Fixture) {
    let data = patterned(40);
    let id = fx.store.put("received", &data).await.expect("put");
    let original = fx.store.raw(&id).await.expect("raw");
    // The key id's length byte and the id itself: a change there names a key this
    // store does not hold, which is refused as such.
    let key_id_range = 5..6 + fx.key.id().len();
    for position in 0..original.len() {
        let mut altered = original.clone();
        altered[position] ^= 0x01;
        fx.write_raw(&id, altered).await;
        match fx.store.get(&id).await {
            Err(Error::Tampered) => {}
            Err(Error::UnknownKey { .. }) if key_id_range.contains(&position) => {}
            other => panic!("flipping byte {position} gave {other:?}"),
        }
    }
    for len in [0, 3, 5, 20, 101, original.len() - 16, original.len() - 1] {
        fx.write_raw(&id, original[..len].to_vec()).await;
        assert!(matches!(fx.store.get(&id).await, Err(Error::Tampered)), "truncated to {len} bytes");
    }
    let mut longer = original.clone();
    longer.push(0);
    fx.write_raw(&id, longer).await;
    assert!(matches!(fx.store.get(&id).await, Err(Error::Tampered)), "one byte appended");
    fx.write_raw(&id, original).await;
    assert_eq!(fx.store.get(&id).await.expect("restored object opens"), data);
}

pub async fn copied_object_is_detected(fx: &Fixture) {
    let data = patterned(100);
    let source = fx.store.put("upload", &data).await.expect("put");
    let victim = fx.store.put("upload", &patterned(100)).await.expect("put");
    let raw = fx.store.raw(&source).await.expect("raw");
    // Swap one object's bytes in under another's name, in the same class and in another.
    fx.write_raw(&victim, raw.clone()).await;
    assert!(matches!(fx.store.get(&victim).await, Err(Error::Tampered)));
    let other_class: BlobId =
        format!("received/{}", &source.as_str()["upload/".len()..]).parse().expect("id");
    fx.write_raw(&other_class, raw).await;
    assert!(matches!(fx.store.get(&other_class).await, Err(Error::Tampered)));
    assert_eq!(fx.store.get(&source).await.expect("the original still opens"), data);
}

pub async fn wrong_master_key_is_refused(fx: &Fixture) {
    let id = fx.store.put("upload", b"secret page").await.expect("put");
    let other = BlobStore::open(&fx.location, MasterKey::generate().expect("key")).expect("store");
    match other.get(&id).await {
        Err(Error::UnknownKey { key_id }) => assert_eq!(key_id, fx.key.id()),
        other => panic!("a different master key gave {other:?}"),
    }
}

pub async fn rotation_rewraps_without_reencrypting(fx: &Fixture) {
    let data = patterned(5000);
    let id = fx.store.put("upload", &data).await.expect("put");
    let before = fx.store.raw(&id).await.expect("raw");
    let new_key = MasterKey::generate().expect("key");
    let rotated = BlobStore::with_keys(&fx.location, new_key.clone(), vec![fx.key.clone()]).expect("store");
    assert_eq!(rotated.get(&id).await.expect("old objects still open"), data);
    assert!(rotated.rewrap(&id).await.expect("rewrap"));
    assert!(!rotated.rewrap(&id).await.expect("second rewrap"), "already under the new key");
    let after = fx.store.raw(&id).await.expect("raw");
    let content = data.len() + 16 + 24;
    assert_eq!(before[before.len() - content..], after[after.len() - content..], "content bytes untouched");
    let only_new = BlobStore::open(&fx.location, new_key.clone()).expect("store");
    assert_eq!(only_new.get(&id).await.expect("opens under the new key alone"), data);
    assert_eq!(only_new.key_id_of(&id).await.expect("key id"), new_key.id());
    assert!(
        matches!(fx.store.get(&id).await, Err(Error::UnknownKey { .. })),
        "old key alone no longer opens it"
    );
}

pub async fn bad_ids_and_classes_are_rejected(fx: &Fixture) {
    for bad in ["../x", "", "upload/../../etc/passwd", "upload/ab", &"a".repeat(300)] {
        assert!(matches!(bad.parse::<BlobId>(), Err(Error::InvalidId)), "{bad:?} parsed");
    }
    for class in ["", "../x", "a/b", "Upload", &"a".repeat(33)] {
        assert!(
            matches!(fx.store.put(class, b"x").await, Err(Error::InvalidClass)),
            "class {class:?} accepted"
        );
        assert!(matches!(fx.store.list(class).await, Err(Error::InvalidClass)), "class {class:?} listed");
    }
}

pub async fn delete_then_get_is_not_found(fx: &Fixture) {
    let id = fx.store.put("upload", b"to be deleted").await.expect("put");
    fx.store.delete(&id).await.expect("delete");
    assert!(!fx.store.exists(&id).await.expect("exists"));
    assert!(matches!(fx.store.get(&id).await, Err(Error::NotFound(ref missing)) if *missing == id));
    fx.store.delete(&id).await.expect("deleting twice succeeds");
    let never: BlobId = "upload/00000000000000000000000000000000".parse().expect("id");
    assert!(matches!(fx.store.get(&never).await, Err(Error::NotFound(_))));
    assert!(matches!(fx.store.rewrap(&never).await, Err(Error::NotFound(_))));
}

pub async fn list_returns_the_class(fx: &Fixture) {
    let mut ids = Vec::new();
    for i in 0..3u8 {
        ids.push(fx.store.put("listed", &[i]).await.expect("put"));
    }
    let elsewhere = fx.store.put("listed-not", b"x").await.expect("put");
    ids.sort();
    assert_eq!(fx.store.list("listed").await.expect("list"), ids);
    assert_eq!(fx.store.list("listed-not").await.expect("list"), vec![elsewhere]);
    assert!(fx.store.list("empty").await.expect("list").is_empty());
}

pub async fn oversized_put_is_refused(fx: &Fixture) {
    let data = vec![0u8; MAX_OBJECT_BYTES + 1];
    match fx.store.put("upload", &data).await {
        Err(Error::TooLarge { size }) => assert_eq!(size, (MAX_OBJECT_BYTES + 1) as u64),
        other => panic!("oversized put gave {other:?}"),
    }
}
