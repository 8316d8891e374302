//! The S3 I/O: an aws-sdk-s3 client on a tokio runtime owned by this library (a runtime cannot be shared across
//! the plugin boundary), blocking wrappers for the calls the writer needs, and retries with exponential backoff
//! (`s3.part.retries`, `s3.retry.backoff.ms`). Failures are classified: 5xx, throttling, timeouts and unreachable
//! endpoints are retriable (the task stays RUNNING and the batch is redelivered); 403, a missing bucket and other
//! client errors are fatal with a message naming the bucket and the cause.

use std::future::Future;
use std::time::Duration;

use aws_sdk_s3::config::retry::RetryConfig;
use aws_sdk_s3::config::timeout::TimeoutConfig;
use aws_sdk_s3::config::{
    BehaviorVersion, Credentials, Region, RequestChecksumCalculation, ResponseChecksumValidation,
};
use aws_sdk_s3::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart};
use connect_api::{ConnectError, ConnectResult};

use crate::config::S3SinkConfig;

/// Blocking S3 operations for one task.
pub struct Storage {
    runtime: tokio::runtime::Runtime,
    client: aws_sdk_s3::Client,
    /// The bucket, `s3.part.retries` and `s3.retry.backoff.ms`.
    policy: RetryPolicy,
}

/// How a failed request should be handled.
#[derive(Debug, PartialEq, Eq)]
enum Failure {
    Retriable(String),
    Fatal(String),
}

/// A part upload in progress; [`PendingPart::wait`] blocks until S3 answered and returns the part's ETag.
pub struct PendingPart(Box<dyn FnOnce() -> ConnectResult<String> + Send>);

impl PendingPart {
    pub fn new(wait: impl FnOnce() -> ConnectResult<String> + Send + 'static) -> PendingPart {
        PendingPart(Box::new(wait))
    }

    pub fn wait(self) -> ConnectResult<String> {
        (self.0)()
    }
}

/// `s3.part.retries` and `s3.retry.backoff.ms` applied to one request, with errors that name the bucket.
#[derive(Clone)]
struct RetryPolicy {
    bucket: String,
    retries: u32,
    backoff_ms: u64,
}

impl RetryPolicy {
    /// Runs `op` until it succeeds, fails fatally or runs out of retries (exponential backoff between attempts).
    async fn run<T, E, F, Fut>(&self, what: &str, key: &str, op: F) -> ConnectResult<T>
    where
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
        F: Fn() -> Fut,
        Fut: Future<Output = Result<T, SdkError<E>>>,
    {
        let mut attempt = 0;
        loop {
            let err = match op().await {
                Ok(v) => return Ok(v),
                Err(e) => e,
            };
            match classify(&err, &self.bucket) {
                Failure::Fatal(cause) => {
                    return Err(ConnectError::connect(format!(
                        "S3 {what} of '{key}' in bucket '{}' failed: {cause}",
                        self.bucket
                    )))
                }
                Failure::Retriable(cause) if attempt >= self.retries => {
                    return Err(ConnectError::retriable(format!(
                        "S3 {what} of '{key}' in bucket '{}' failed after {} attempts: {cause}",
                        self.bucket,
                        attempt + 1
                    )))
                }
                Failure::Retriable(cause) => {
                    let wait = self.backoff_ms.saturating_mul(1 << attempt.min(16));
                    eprintln!(
                        "connect-s3: S3 {what} of '{key}' in bucket '{}' failed (attempt {}), retrying in {wait} ms: {cause}",
                        self.bucket,
                        attempt + 1
                    );
                    tokio::time::sleep(Duration::from_millis(wait)).await;
                    attempt += 1;
                }
            }
        }
    }
}

impl Storage {
    pub fn new(config: &S3SinkConfig) -> ConnectResult<Storage> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("connect-s3")
            .enable_all()
            .build()
            .map_err(|e| {
                ConnectError::connect(format!("cannot start the S3 client runtime: {e}"))
            })?;
        let (key, secret) = match (&config.access_key, &config.secret_key) {
            (Some(k), Some(s)) => (Some(k.clone()), Some(s.clone())),
            // A minimal stand-in for the default provider chain: the standard environment variables.
            _ => (
                std::env::var("AWS_ACCESS_KEY_ID").ok(),
                std::env::var("AWS_SECRET_ACCESS_KEY").ok(),
            ),
        };
        let mut builder = aws_sdk_s3::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new(config.region.clone()))
            .force_path_style(config.path_style)
            .retry_config(RetryConfig::disabled())
            .request_checksum_calculation(RequestChecksumCalculation::WhenRequired)
            .response_checksum_validation(ResponseChecksumValidation::WhenRequired)
            .timeout_config(
                TimeoutConfig::builder()
                    .connect_timeout(Duration::from_secs(5))
                    .operation_attempt_timeout(Duration::from_secs(120))
                    .build(),
            );
        if let (Some(k), Some(s)) = (key, secret) {
            builder = builder.credentials_provider(Credentials::new(
                k,
                s,
                std::env::var("AWS_SESSION_TOKEN").ok(),
                None,
                "connect-s3",
            ));
        }
        if let Some(url) = &config.store_url {
            builder = builder.endpoint_url(url);
        }
        let client = aws_sdk_s3::Client::from_conf(builder.build());
        Ok(Storage {
            runtime,
            client,
            policy: RetryPolicy {
                bucket: config.bucket.clone(),
                retries: config.part_retries,
                backoff_ms: config.retry_backoff_ms,
            },
        })
    }

    /// Runs `op` with retries, blocking the calling thread.
    fn call<T, E, F, Fut>(&self, what: &str, key: &str, op: F) -> ConnectResult<T>
    where
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
        F: Fn() -> Fut,
        Fut: Future<Output = Result<T, SdkError<E>>>,
    {
        self.runtime.block_on(self.policy.run(what, key, op))
    }

    /// Fails (fatally) when the bucket does not exist or is not accessible; unreachable is retriable.
    pub fn check_bucket(&self) -> ConnectResult<()> {
        let bucket = self.policy.bucket.clone();
        self.call("HeadBucket", "", || {
            self.client.head_bucket().bucket(&bucket).send()
        })
        .map(|_| ())
    }

    pub fn put_object(&self, key: &str, body: Vec<u8>) -> ConnectResult<()> {
        let body = bytes::Bytes::from(body);
        self.call("PutObject", key, || {
            self.client
                .put_object()
                .bucket(&self.policy.bucket)
                .key(key)
                .body(ByteStream::from(body.clone()))
                .send()
        })
        .map(|_| ())
    }

    pub fn create_multipart(&self, key: &str) -> ConnectResult<String> {
        let out = self.call("CreateMultipartUpload", key, || {
            self.client
                .create_multipart_upload()
                .bucket(&self.policy.bucket)
                .key(key)
                .send()
        })?;
        out.upload_id()
            .map(str::to_string)
            .ok_or_else(|| ConnectError::connect(format!("S3 returned no upload id for '{key}'")))
    }

    /// Starts uploading part `number` (1-based) on the client runtime; the ETag comes from
    /// [`PendingPart::wait`], so the caller can go on encoding the next part meanwhile.
    pub fn start_part(
        &self,
        key: &str,
        upload_id: &str,
        number: i32,
        body: bytes::Bytes,
    ) -> PendingPart {
        let policy = self.policy.clone();
        let client = self.client.clone();
        let (key, upload_id) = (key.to_string(), upload_id.to_string());
        let task = self.runtime.spawn(async move {
            let out = policy
                .run("UploadPart", &key, || {
                    client
                        .upload_part()
                        .bucket(&policy.bucket)
                        .key(&key)
                        .upload_id(&upload_id)
                        .part_number(number)
                        .body(ByteStream::from(body.clone()))
                        .send()
                })
                .await?;
            Ok(out.e_tag().unwrap_or_default().to_string())
        });
        let runtime = self.runtime.handle().clone();
        PendingPart::new(move || {
            runtime.block_on(task).unwrap_or_else(|e| {
                Err(ConnectError::retriable(format!(
                    "S3 UploadPart task ended abnormally: {e}"
                )))
            })
        })
    }

    pub fn complete_multipart(
        &self,
        key: &str,
        upload_id: &str,
        etags: &[String],
    ) -> ConnectResult<()> {
        let parts: Vec<CompletedPart> = etags
            .iter()
            .enumerate()
            .map(|(i, etag)| {
                CompletedPart::builder()
                    .part_number(i as i32 + 1)
                    .e_tag(etag)
                    .build()
            })
            .collect();
        let upload = CompletedMultipartUpload::builder()
            .set_parts(Some(parts))
            .build();
        self.call("CompleteMultipartUpload", key, || {
            self.client
                .complete_multipart_upload()
                .bucket(&self.policy.bucket)
                .key(key)
                .upload_id(upload_id)
                .multipart_upload(upload.clone())
                .send()
        })
        .map(|_| ())
    }

    /// Best effort: an upload left behind is only garbage, never visible data.
    pub fn abort_multipart(&self, key: &str, upload_id: &str) {
        let result = self.runtime.block_on(
            self.client
                .abort_multipart_upload()
                .bucket(&self.policy.bucket)
                .key(key)
                .upload_id(upload_id)
                .send(),
        );
        if let Err(e) = result {
            eprintln!(
                "connect-s3: could not abort multipart upload of '{key}' in bucket '{}': {}",
                self.policy.bucket,
                DisplayErrorContext(&e)
            );
        }
    }

    /// Aborts incomplete multipart uploads whose key starts with `prefix` and whose file name starts with
    /// `file_prefix` (left behind by a crashed task that owned the same Kafka partition). Best effort.
    pub fn abort_stale_uploads(&self, prefix: &str, file_prefix: &str) -> usize {
        let listed = self.runtime.block_on(
            self.client
                .list_multipart_uploads()
                .bucket(&self.policy.bucket)
                .prefix(prefix)
                .send(),
        );
        let Ok(listed) = listed else {
            return 0;
        };
        let mut aborted = 0;
        for upload in listed.uploads() {
            let (Some(key), Some(id)) = (upload.key(), upload.upload_id()) else {
                continue;
            };
            let name = key.rsplit('/').next().unwrap_or(key);
            if name.starts_with(file_prefix) {
                self.abort_multipart(key, id);
                aborted += 1;
            }
        }
        aborted
    }
}

/// Sorts an SDK error into retriable and fatal, with a readable cause.
fn classify<E>(err: &SdkError<E>, bucket: &str) -> Failure
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    match err {
        SdkError::ServiceError(se) => {
            let status = se.raw().status().as_u16();
            let code = se.err().code().unwrap_or("");
            let message = se.err().message().unwrap_or("");
            let cause = format!("HTTP {status} {code} {message}").trim().to_string();
            if status >= 500 || status == 429 || code == "SlowDown" || code == "RequestTimeout" {
                Failure::Retriable(cause)
            } else if code == "NoSuchBucket"
                || (status == 404 && code.is_empty())
                || code == "NotFound"
            {
                Failure::Fatal(format!("Non-existent S3 bucket: {bucket} ({cause})"))
            } else if status == 403 {
                Failure::Fatal(format!(
                    "access denied to S3 bucket {bucket}: check aws.access.key.id/aws.secret.access.key and the bucket policy ({cause})"
                ))
            } else {
                Failure::Fatal(cause)
            }
        }
        SdkError::DispatchFailure(_) | SdkError::TimeoutError(_) | SdkError::ResponseError(_) => {
            Failure::Retriable(format!("{}", DisplayErrorContext(err)))
        }
        _ => Failure::Fatal(format!("{}", DisplayErrorContext(err))),
    }
}
