//! The storage suite on a local folder, and the master key file.

mod common;

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::sync::Arc;

use blob::{BlobId, Error, Location, MAX_OBJECT_BYTES, MasterKey};
use common::Fixture;
use object_store::local::LocalFileSystem;

fn fixture(dir: &tempfile::TempDir) -> Fixture {
    let root = dir.path().join("blobs");
    let location = Location::Local { root: root.clone() };
    let fx_store = Fixture::new(location, Arc::new(LocalFileSystem::new()));
    // The plain backend is opened after the store created the folder.
    let backend = Arc::new(LocalFileSystem::new_with_prefix(&root).expect("backend"));
    Fixture { backend, ..fx_store }
}

macro_rules! local_case {
    ($name:ident) => {
        #[tokio::test]
        async fn $name() {
            let dir = tempfile::tempdir().expect("temp dir");
            common::$name(&fixture(&dir)).await;
        }
    };
}

local_case!(round_trip);
local_case!(stored_bytes_are_encrypted);
local_case!(any_changed_byte_is_detected);
local_case!(copied_object_is_detected);
local_case!(wrong_master_key_is_refused);
local_case!(rotation_rewraps_without_reencrypting);
local_case!(bad_ids_and_classes_are_rejected);
local_case!(delete_then_get_is_not_found);
local_case!(list_returns_the_class);
local_case!(oversized_put_is_refused);

#[tokio::test]
async fn objects_are_files_named_by_their_id_in_a_private_folder() {
    let dir = tempfile::tempdir().expect("temp dir");
    let fx = fixture(&dir);
    let id = fx.store.put("upload", b"page").await.expect("put");
    let file = dir.path().join("blobs").join(id.as_str());
    assert_eq!(fs::read(&file).expect("object file"), fx.store.raw(&id).await.expect("raw"));
    let mode = fs::metadata(dir.path().join("blobs")).expect("root").permissions().mode();
    assert_eq!(mode & 0o777, 0o700);
}

#[tokio::test]
async fn oversized_stored_object_is_refused_before_reading() {
    let dir = tempfile::tempdir().expect("temp dir");
    let fx = fixture(&dir);
    let id: BlobId = "upload/0123456789abcdef0123456789abcdef".parse().expect("id");
    fs::create_dir_all(dir.path().join("blobs/upload")).expect("class folder");
    // A sparse file: large on paper, no disk space or reading needed.
    let file = fs::File::create(dir.path().join("blobs").join(id.as_str())).expect("create");
    let size = (MAX_OBJECT_BYTES + 4096) as u64;
    file.set_len(size).expect("set_len");
    match fx.store.get(&id).await {
        Err(Error::TooLarge { size: found }) => assert_eq!(found, size),
        other => panic!("oversized stored object gave {other:?}"),
    }
}

#[test]
fn master_key_file_is_created_once_with_mode_0600() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("keys").join("master.key");
    let first = MasterKey::load_or_create(&path).expect("created");
    let metadata = fs::metadata(&path).expect("key file");
    assert_eq!(metadata.permissions().mode() & 0o777, 0o600);
    let text = fs::read_to_string(&path).expect("read");
    let second = MasterKey::load_or_create(&path).expect("loaded");
    assert_eq!(first.id(), second.id());
    assert_eq!(fs::read_to_string(&path).expect("read"), text, "the file is never rewritten");
    assert_eq!(MasterKey::from_base64(&text).expect("the file is base64").id(), first.id());
    assert_eq!(first.id().len(), 16);
    // Nothing but the key file is left in the folder.
    let entries: Vec<_> = fs::read_dir(path.parent().expect("parent")).expect("dir").collect();
    assert_eq!(entries.len(), 1);
    // Debug shows the id, never the key.
    let debug = format!("{first:?}");
    assert!(debug.contains(first.id()));
    assert!(!debug.contains(text.trim()));
}

#[test]
fn damaged_master_key_file_is_an_error_not_a_new_key() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("master.key");
    for content in ["", "not base64!", "AAAA\n", &"A".repeat(1000)] {
        fs::write(&path, content).expect("write");
        assert!(matches!(MasterKey::load_or_create(&path), Err(Error::InvalidKey)), "{content:?}");
        assert_eq!(fs::read_to_string(&path).expect("read"), content, "a damaged key file is left alone");
    }
}

#[test]
fn master_key_from_base64() {
    let key = MasterKey::generate().expect("key");
    let text = key.to_base64();
    assert_eq!(MasterKey::from_base64(&text).expect("parses").id(), key.id());
    assert!(MasterKey::from_base64("c2hvcnQ=").is_err());
    assert!(MasterKey::from_base64("").is_err());
    assert_ne!(MasterKey::generate().expect("key").id(), key.id());
}
