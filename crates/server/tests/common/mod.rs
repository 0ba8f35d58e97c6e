//! A running service for tests: `server::serve` in this process on a free port, a
//! temporary data folder, SQLite or a throwaway PostgreSQL database, and an HTTP
//! client.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

/// Which database a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Runs `$body` (an async fn taking `&Harness`) on both backends as two tests.
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                let harness = $crate::common::Harness::start($crate::common::Backend::Sqlite, &[]).await;
                super::$name(&harness).await;
                harness.stop().await;
            })*
        }
        mod postgres {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                let harness = $crate::common::Harness::start($crate::common::Backend::Postgres, &[]).await;
                super::$name(&harness).await;
                harness.stop().await;
            })*
        }
    };
}

/// A service under test.
pub struct Harness {
    pub base: String,
    pub address: SocketAddr,
    pub client: reqwest::Client,
    pub dir: tempfile::TempDir,
    pub config: server::Config,
    pub backend: Backend,
    shutdown: CancellationToken,
    task: tokio::task::JoinHandle<Result<(), server::Error>>,
}

/// A registered user with an API key.
#[derive(Debug, Clone)]
pub struct User {
    pub key: String,
    pub account: Value,
    pub email: String,
}

impl User {
    pub fn number(&self) -> String {
        self.account["fax_number"].as_str().unwrap().to_owned()
    }
}

impl Harness {
    /// Starts a service; `extra` adds or overrides configuration variables.
    pub async fn start(backend: Backend, extra: &[(&str, &str)]) -> Harness {
        let dir = tempfile::tempdir().unwrap();
        let url = match backend {
            Backend::Sqlite => format!("sqlite://{}", dir.path().join("db.sqlite3").display()),
            Backend::Postgres => pg_cluster::shared().create_database().expect("PostgreSQL test database"),
        };
        let mut env: BTreeMap<String, String> = BTreeMap::from([
            ("FERROFAX_SERVER_LISTEN".into(), "127.0.0.1:0".into()),
            ("FERROFAX_SERVER_DATA_DIR".into(), dir.path().display().to_string()),
            ("FERROFAX_DATABASE_URL".into(), url),
            ("FERROFAX_WORKERS_POLL_MILLIS".into(), "50".into()),
            ("FERROFAX_WORKERS_LEASE_SECONDS".into(), "10".into()),
            ("FERROFAX_WEBHOOKS_ALLOW_PRIVATE".into(), "true".into()),
            ("FERROFAX_RETENTION_JANITOR_SECONDS".into(), "3600".into()),
            ("FERROFAX_RETRY_MAX_DIALS".into(), "3".into()),
            // A small file limit keeps the oversize test's unread remainder small.
            ("FERROFAX_LIMITS_MAX_FILE_BYTES".into(), "2097152".into()),
            ("FERROFAX_RETRY_BUSY_SECONDS".into(), "1".into()),
            ("FERROFAX_RETRY_NO_ANSWER_SECONDS".into(), "1".into()),
            ("FERROFAX_RETRY_PROTOCOL_SECONDS".into(), "0".into()),
        ]);
        for (k, v) in extra {
            env.insert((*k).to_owned(), (*v).to_owned());
        }
        let config = server::Config::from_parts("", &env).expect("test configuration");
        let shutdown = CancellationToken::new();
        let (ready, address) = tokio::sync::oneshot::channel();
        let task = tokio::spawn(server::serve(config.clone(), shutdown.clone(), Some(ready)));
        let address = tokio::time::timeout(Duration::from_secs(60), address)
            .await
            .expect("server start")
            .expect("server ready");
        Harness {
            base: format!("http://{address}"),
            address,
            // No pooled connections: a request refused mid-upload leaves its connection
            // closed by the server, and a pooled client would reuse it.
            // reqwest carries rustls without a provider of its own (see crates/blob).
            client: {
                blob::install_crypto_provider();
                reqwest::Client::builder()
            }
            .redirect(reqwest::redirect::Policy::none())
            .pool_max_idle_per_host(0)
            .build()
            .unwrap(),
            dir,
            config,
            backend,
            shutdown,
            task,
        }
    }

    /// Stops the service and checks it ended cleanly.
    pub async fn stop(self) {
        self.shutdown.cancel();
        let result = tokio::time::timeout(Duration::from_secs(30), self.task)
            .await
            .expect("server stops")
            .expect("server task");
        result.expect("server ended without error");
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Registers an account and creates an API key for it.
    pub async fn register(&self, name: &str, email: &str) -> User {
        let response = self
            .client
            .post(self.url("/v1/accounts"))
            .json(&json!({"name": name, "email": email, "password": "correct horse battery", "age_confirmed": true, "accept_terms": true}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 201, "{}", response.text().await.unwrap());
        let cookie = session_cookie(&response);
        let account: Value = response.json().await.unwrap();
        let created: Value = self
            .client
            .post(self.url("/v1/api-keys"))
            .header("cookie", cookie)
            .json(&json!({"name": "tests"}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        User { key: created["token"].as_str().expect("token").to_owned(), account, email: email.to_owned() }
    }

    pub async fn get(&self, user: &User, path: &str) -> reqwest::Response {
        self.client.get(self.url(path)).bearer_auth(&user.key).send().await.unwrap()
    }

    pub async fn get_json(&self, user: &User, path: &str) -> Value {
        let response = self.get(user, path).await;
        assert_eq!(response.status(), 200, "GET {path}");
        response.json().await.unwrap()
    }

    /// Sends a fax through the API.
    pub async fn send_fax(
        &self,
        user: &User,
        files: Vec<(&str, Vec<u8>)>,
        to: &[&str],
        fields: &[(&str, &str)],
        key: Option<&str>,
    ) -> reqwest::Response {
        let mut form = reqwest::multipart::Form::new();
        for (name, data) in files {
            form = form.part("file", reqwest::multipart::Part::bytes(data).file_name(name.to_owned()));
        }
        for number in to {
            form = form.text("to", (*number).to_owned());
        }
        for (k, v) in fields {
            form = form.text((*k).to_owned(), (*v).to_owned());
        }
        let mut request = self.client.post(self.url("/v1/faxes")).bearer_auth(&user.key).multipart(form);
        if let Some(key) = key {
            request = request.header("Idempotency-Key", key);
        }
        request.send().await.unwrap()
    }

    /// Polls a fax until every recipient is final.
    pub async fn wait_final(&self, user: &User, fax_id: &str) -> Value {
        let final_states = ["delivered", "partially_delivered", "failed", "canceled"];
        for _ in 0..1200 {
            let fax = self.get_json(user, &format!("/v1/faxes/{fax_id}")).await;
            if fax["recipients"]
                .as_array()
                .unwrap()
                .iter()
                .all(|r| final_states.contains(&r["status"].as_str().unwrap()))
            {
                return fax;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("fax {fax_id} did not reach a final state");
    }

    /// The app's blob folder.
    pub fn blob_dir(&self) -> PathBuf {
        self.dir.path().join("blobs")
    }

    /// Opens the same database and blob store the server uses.
    pub async fn app(&self) -> Arc<server::App> {
        Arc::new(server::App::open(self.config.clone()).await.unwrap())
    }
}

/// The `name=value` of the session cookie a response sets.
pub fn session_cookie(response: &reqwest::Response) -> String {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("ffx_session="))
        .map(|v| v.split(';').next().unwrap().to_owned())
        .expect("session cookie")
}

/// A PDF of the first `n` ITU charts at fine resolution.
pub fn itu_pdf(n: usize) -> Vec<u8> {
    let pages: Vec<_> = fixtures::itu_charts().iter().take(n).cloned().collect();
    fax_image::pdf::write(&pages, &fax_image::pdf::PdfMeta::default()).unwrap()
}
