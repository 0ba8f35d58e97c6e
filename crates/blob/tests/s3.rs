//! The storage suite against a real S3-compatible server: `moto`, started here.
//!
//! moto is a Python package (`pip install 'moto[server]'`); `cargo xtask test`
//! installs it. Without it this test fails, naming the command, rather than skip.

mod common;

use std::net::{Ipv4Addr, SocketAddr, TcpListener};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use blob::{Error, Location, MasterKey};
use common::Fixture;
use object_store::aws::AmazonS3Builder;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const BUCKET: &str = "ferrofax-test";
const REGION: &str = "us-east-1";
const ACCESS_KEY: &str = "testing";
const SECRET_KEY: &str = "testing";

/// A moto server on a free loopback port, stopped when dropped.
struct Moto {
    child: Child,
    port: u16,
}

impl Moto {
    async fn start() -> Moto {
        let probe = Command::new("python3").args(["-c", "import moto.server, flask, flask_cors"]).output();
        match probe {
            Ok(out) if out.status.success() => {}
            _ => panic!(
                "the S3 tests need moto's server: install it with `pip install 'moto[server]'` \
                 (`cargo xtask test` does this)"
            ),
        }
        // Ask the system for a free port, then hand it to moto.
        let port = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .and_then(|listener| listener.local_addr())
            .expect("a free port")
            .port();
        let child = Command::new("python3")
            .args(["-m", "moto.server", "-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("python3 starts moto");
        let moto = Moto { child, port };
        // Wait until it accepts connections: at most 300 tries 100 ms apart.
        let address = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
        for _ in 0..300 {
            if TcpStream::connect(address).await.is_ok() {
                return moto;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("moto did not start listening on port {port} within 30 s");
    }

    fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Creates the bucket through the S3 REST API (moto accepts unsigned requests).
    async fn create_bucket(&self, bucket: &str) {
        let mut stream = TcpStream::connect((Ipv4Addr::LOCALHOST, self.port)).await.expect("connect to moto");
        let request = format!(
            "PUT /{bucket} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            self.port
        );
        stream.write_all(request.as_bytes()).await.expect("send");
        let mut response = Vec::new();
        stream.read_to_end(&mut response).await.expect("receive");
        let response = String::from_utf8_lossy(&response);
        assert!(response.starts_with("HTTP/1.1 200"), "creating the bucket failed: {response}");
    }

    fn location(&self, bucket: &str) -> Location {
        Location::S3 {
            bucket: bucket.to_owned(),
            endpoint: Some(self.endpoint()),
            region: REGION.to_owned(),
            access_key_id: ACCESS_KEY.to_owned(),
            secret_access_key: SECRET_KEY.to_owned(),
            allow_http: true,
        }
    }

    fn fixture(&self, bucket: &str) -> Fixture {
        blob::install_crypto_provider();
        let backend = AmazonS3Builder::new()
            .with_bucket_name(bucket)
            .with_region(REGION)
            .with_access_key_id(ACCESS_KEY)
            .with_secret_access_key(SECRET_KEY)
            .with_endpoint(self.endpoint())
            .with_allow_http(true)
            .build()
            .expect("plain S3 backend");
        Fixture::new(self.location(bucket), Arc::new(backend))
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One server for the whole suite: starting moto takes a second or two.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s3_suite() {
    let moto = Moto::start().await;
    moto.create_bucket(BUCKET).await;
    let fx = moto.fixture(BUCKET);
    common::round_trip(&fx).await;
    common::stored_bytes_are_encrypted(&fx).await;
    common::any_changed_byte_is_detected(&fx).await;
    common::copied_object_is_detected(&fx).await;
    common::wrong_master_key_is_refused(&fx).await;
    common::rotation_rewraps_without_reencrypting(&fx).await;
    common::bad_ids_and_classes_are_rejected(&fx).await;
    common::delete_then_get_is_not_found(&fx).await;
    common::list_returns_the_class(&fx).await;
    common::oversized_put_is_refused(&fx).await;

    // A bucket that does not exist is a storage error, not a panic or a NotFound.
    let missing =
        blob::BlobStore::open(&moto.location("no-such-bucket"), MasterKey::generate().expect("key"))
            .expect("opening does no I/O");
    assert!(matches!(missing.put("upload", b"x").await, Err(Error::Storage(_))));
}
