//! [`S3Store`]: [`BackupStore`] over S3.
//!
//! Concurrency: two invocations for one repository may run at once (a push
//! event and the schedule, or two quick pushes landing on two Lambda
//! instances). We do not serialise them (that would need a lock table or a
//! FIFO queue); instead the manifest is updated by compare-and-swap with S3
//! conditional writes: `If-Match: <etag>` when replacing it, `If-None-Match:
//! *` when creating it, so exactly one writer wins and the loser reloads and
//! recomputes (see [`crate::backup`]). Bundles are written first, under a
//! content-addressed key (`<seq>-<sha256>.bundle`), so a loser can never
//! overwrite a winner's bundle with different bytes; a bundle that no
//! manifest references is deleted by its writer.

use std::path::Path;

use aws_sdk_s3::config::http::HttpResponse;
use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart, ServerSideEncryption};
use shared::backup::{Manifest, manifest_key};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::Error;
use crate::ports::{BackupStore, StoredBundle, Versioned};

/// S3 parts are at least 5 MiB except the last.
pub const MIN_PART_SIZE: u64 = 5 * 1024 * 1024;

/// Maps an SDK error to [`Error::Aws`], retryable or not by the one
/// classification every function shares ([`shared::sdk::is_retryable`]).
pub(crate) fn aws_error<E>(operation: &'static str, error: SdkError<E, HttpResponse>) -> Error
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    Error::Aws {
        operation,
        retryable: shared::sdk::is_retryable(&error),
        message: shared::sdk::describe(&error),
        source: Box::new(error),
    }
}

fn is_status<E: ProvideErrorMetadata>(
    error: &SdkError<E, HttpResponse>,
    code: &str,
    status: u16,
) -> bool {
    matches!(error, SdkError::ServiceError(c)
        if c.err().code() == Some(code) || c.raw().status().as_u16() == status)
}

/// Backups in one bucket.
#[derive(Clone, Debug)]
pub struct S3Store {
    pub client: aws_sdk_s3::Client,
    pub bucket: String,
    /// SSE-KMS key for what we write; `None`: the bucket's default encryption.
    pub kms_key_id: Option<String>,
    /// Multipart part size (>= 5 MiB); smaller bundles take one PutObject.
    pub part_size: u64,
}

impl S3Store {
    pub fn new(client: aws_sdk_s3::Client, bucket: impl Into<String>) -> Self {
        Self {
            client,
            bucket: bucket.into(),
            kms_key_id: None,
            part_size: 8 * 1024 * 1024,
        }
    }

    async fn upload_multipart(&self, key: &str, file: &Path) -> Result<u64, Error> {
        let mut create = self
            .client
            .create_multipart_upload()
            .bucket(&self.bucket)
            .key(key)
            .content_type("application/x-git-bundle");
        if let Some(kms) = &self.kms_key_id {
            create = create
                .server_side_encryption(ServerSideEncryption::AwsKms)
                .ssekms_key_id(kms);
        }
        let upload = create
            .send()
            .await
            .map_err(|e| aws_error("CreateMultipartUpload", e))?;
        let upload_id = upload.upload_id().unwrap_or_default().to_owned();
        let result = self.send_parts(key, file, &upload_id).await;
        match result {
            Ok((parts, sent)) => {
                self.client
                    .complete_multipart_upload()
                    .bucket(&self.bucket)
                    .key(key)
                    .upload_id(&upload_id)
                    .multipart_upload(
                        CompletedMultipartUpload::builder()
                            .set_parts(Some(parts))
                            .build(),
                    )
                    .send()
                    .await
                    .map_err(|e| aws_error("CompleteMultipartUpload", e))?;
                Ok(sent)
            }
            Err(error) => {
                // Best effort: an incomplete upload costs storage until the
                // bucket's AbortIncompleteMultipartUpload rule removes it.
                let _ = self
                    .client
                    .abort_multipart_upload()
                    .bucket(&self.bucket)
                    .key(key)
                    .upload_id(&upload_id)
                    .send()
                    .await;
                Err(error)
            }
        }
    }

    /// Reads the file one part at a time: memory stays at one part.
    async fn send_parts(
        &self,
        key: &str,
        file: &Path,
        upload_id: &str,
    ) -> Result<(Vec<CompletedPart>, u64), Error> {
        let mut input = tokio::fs::File::open(file)
            .await
            .map_err(|e| Error::io(format!("opening {}", file.display()), e))?;
        let mut parts = Vec::new();
        let mut sent = 0u64;
        for number in 1.. {
            let mut buf = Vec::with_capacity(self.part_size as usize);
            (&mut input)
                .take(self.part_size)
                .read_to_end(&mut buf)
                .await
                .map_err(|e| Error::io(format!("reading {}", file.display()), e))?;
            if buf.is_empty() {
                break;
            }
            let len = buf.len() as u64;
            let part = self
                .client
                .upload_part()
                .bucket(&self.bucket)
                .key(key)
                .upload_id(upload_id)
                .part_number(number)
                .body(ByteStream::from(buf))
                .send()
                .await
                .map_err(|e| aws_error("UploadPart", e))?;
            sent += len;
            tracing::info!(
                key,
                part = number,
                bytes = len,
                total = sent,
                "bundle part uploaded"
            );
            parts.push(
                CompletedPart::builder()
                    .part_number(number)
                    .set_e_tag(part.e_tag().map(str::to_owned))
                    .build(),
            );
        }
        Ok((parts, sent))
    }
}

impl BackupStore for S3Store {
    async fn load_manifest(&self, repository: &str) -> Result<Option<Versioned>, Error> {
        let key = manifest_key(repository);
        let result = self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(&key)
            .send()
            .await;
        let output = match result {
            Ok(output) => output,
            Err(e)
                if is_status(&e, "NoSuchKey", 404)
                    || e.as_service_error().is_some_and(|e| e.is_no_such_key()) =>
            {
                return Ok(None);
            }
            Err(e) => return Err(aws_error("GetObject", e)),
        };
        let etag = output.e_tag().unwrap_or_default().to_owned();
        let bytes = output
            .body
            .collect()
            .await
            .map_err(|e| Error::Aws {
                operation: "GetObject",
                retryable: true,
                message: e.to_string(),
                source: Box::new(e),
            })?
            .into_bytes();
        let manifest: Manifest =
            serde_json::from_slice(&bytes).map_err(|source| Error::BadManifest {
                bucket: self.bucket.clone(),
                key,
                source,
            })?;
        manifest.check_format()?;
        Ok(Some(Versioned { manifest, etag }))
    }

    async fn save_manifest(
        &self,
        manifest: &Manifest,
        previous: Option<&str>,
    ) -> Result<bool, Error> {
        let body = serde_json::to_vec_pretty(manifest).map_err(|source| Error::BadManifest {
            bucket: self.bucket.clone(),
            key: manifest_key(&manifest.repository),
            source,
        })?;
        let mut put = self
            .client
            .put_object()
            .bucket(&self.bucket)
            .key(manifest_key(&manifest.repository))
            .content_type("application/json")
            .body(ByteStream::from(body));
        put = match previous {
            Some(etag) => put.if_match(etag),
            None => put.if_none_match("*"),
        };
        if let Some(kms) = &self.kms_key_id {
            put = put
                .server_side_encryption(ServerSideEncryption::AwsKms)
                .ssekms_key_id(kms);
        }
        match put.send().await {
            Ok(_) => Ok(true),
            // 412: someone else changed it; 409: a concurrent conditional
            // write to the same key is in flight.
            Err(e)
                if is_status(&e, "PreconditionFailed", 412)
                    || is_status(&e, "ConditionalRequestConflict", 409) =>
            {
                Ok(false)
            }
            Err(e) => Err(aws_error("PutObject", e)),
        }
    }

    async fn upload_bundle(&self, key: &str, file: &Path, size: u64) -> Result<u64, Error> {
        if size > self.part_size {
            return self.upload_multipart(key, file).await;
        }
        let body = ByteStream::from_path(file).await.map_err(|e| {
            Error::io(
                format!("reading {}", file.display()),
                std::io::Error::other(e),
            )
        })?;
        let mut put = self
            .client
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .content_type("application/x-git-bundle")
            .body(body);
        if let Some(kms) = &self.kms_key_id {
            put = put
                .server_side_encryption(ServerSideEncryption::AwsKms)
                .ssekms_key_id(kms);
        }
        put.send().await.map_err(|e| aws_error("PutObject", e))?;
        Ok(size)
    }

    async fn download_bundle(&self, key: &str, file: &Path) -> Result<bool, Error> {
        let result = self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await;
        let mut output = match result {
            Ok(output) => output,
            Err(e)
                if is_status(&e, "NoSuchKey", 404)
                    || e.as_service_error().is_some_and(|e| e.is_no_such_key()) =>
            {
                return Ok(false);
            }
            Err(e) => return Err(aws_error("GetObject", e)),
        };
        let mut out = tokio::fs::File::create(file)
            .await
            .map_err(|e| Error::io(format!("creating {}", file.display()), e))?;
        while let Some(chunk) = output.body.try_next().await.map_err(|e| Error::Aws {
            operation: "GetObject",
            retryable: true,
            message: e.to_string(),
            source: Box::new(e),
        })? {
            out.write_all(&chunk)
                .await
                .map_err(|e| Error::io(format!("writing {}", file.display()), e))?;
        }
        out.flush()
            .await
            .map_err(|e| Error::io(format!("writing {}", file.display()), e))?;
        Ok(true)
    }

    async fn delete_bundle(&self, key: &str) -> Result<(), Error> {
        self.client
            .delete_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
            .map_err(|e| aws_error("DeleteObject", e))?;
        Ok(())
    }

    async fn list_bundles(&self, repository: &str) -> Result<Vec<StoredBundle>, Error> {
        let prefix = format!("{}bundles/", shared::backup::repo_prefix(repository));
        let mut out = Vec::new();
        let mut token = None;
        loop {
            let page = self
                .client
                .list_objects_v2()
                .bucket(&self.bucket)
                .prefix(&prefix)
                .set_continuation_token(token)
                .send()
                .await
                .map_err(|e| aws_error("ListObjectsV2", e))?;
            for object in page.contents() {
                let Some(key) = object.key() else { continue };
                // An object without a date is taken as written now: too
                // young to collect.
                let written = object
                    .last_modified()
                    .and_then(|t| chrono::DateTime::from_timestamp(t.secs(), t.subsec_nanos()))
                    .unwrap_or_else(chrono::Utc::now);
                out.push(StoredBundle {
                    key: key.to_owned(),
                    written,
                });
            }
            token = page.next_continuation_token().map(str::to_owned);
            if token.is_none() {
                return Ok(out);
            }
        }
    }

    fn bucket(&self) -> &str {
        &self.bucket
    }
}

impl S3Store {
    /// Repositories with a manifest under `backups/` (for `backups list`).
    pub async fn repositories(&self) -> Result<Vec<String>, Error> {
        let mut names = Vec::new();
        let mut token = None;
        loop {
            let page = self
                .client
                .list_objects_v2()
                .bucket(&self.bucket)
                .prefix("backups/")
                .delimiter("/")
                .set_continuation_token(token)
                .send()
                .await
                .map_err(|e| aws_error("ListObjectsV2", e))?;
            names.extend(page.common_prefixes().iter().filter_map(|p| {
                p.prefix()
                    .and_then(|p| p.strip_prefix("backups/"))
                    .map(|p| p.trim_end_matches('/').to_owned())
            }));
            token = page.next_continuation_token().map(str::to_owned);
            if token.is_none() {
                return Ok(names);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    //! Request shapes and error mapping against the real SDK client, with
    //! responses from aws-smithy-mocks.

    use super::*;
    use aws_sdk_s3::error::ErrorMetadata;
    use aws_sdk_s3::operation::get_object::GetObjectError;
    use aws_sdk_s3::operation::put_object::{PutObjectError, PutObjectOutput};
    use aws_sdk_s3::types::error::NoSuchKey;
    use aws_smithy_mocks::{RuleMode, mock, mock_client};

    #[tokio::test]
    async fn manifest_writes_are_conditional_and_a_lost_race_is_not_an_error() -> anyhow::Result<()>
    {
        // GIVEN S3 accepting a create and refusing a stale replace
        let created = mock!(aws_sdk_s3::Client::put_object)
            .match_requests(|r| r.if_none_match() == Some("*") && r.if_match().is_none())
            .then_output(|| PutObjectOutput::builder().e_tag("\"e1\"").build());
        let stale = mock!(aws_sdk_s3::Client::put_object)
            .match_requests(|r| r.if_match() == Some("\"old\"") && r.if_none_match().is_none())
            .then_error(|| {
                PutObjectError::generic(ErrorMetadata::builder().code("PreconditionFailed").build())
            });
        let denied = mock!(aws_sdk_s3::Client::put_object).then_error(|| {
            PutObjectError::generic(ErrorMetadata::builder().code("AccessDenied").build())
        });
        let mut store = S3Store::new(
            mock_client!(
                aws_sdk_s3,
                RuleMode::Sequential,
                &[&created, &stale, &denied]
            ),
            "b",
        );
        store.kms_key_id = None;
        let manifest = Manifest::new("app");
        // WHEN creating, replacing from a stale version, then without access
        assert!(store.save_manifest(&manifest, None).await?);
        assert!(!store.save_manifest(&manifest, Some("\"old\"")).await?);
        let err = store.save_manifest(&manifest, Some("\"e1\"")).await.err();
        // THEN the refusal is `false`, access denied an error not retried
        assert!(err.is_some_and(|e| !e.is_retryable()));
        Ok(())
    }

    #[tokio::test]
    async fn a_missing_manifest_is_none_and_a_broken_one_is_named() -> anyhow::Result<()> {
        let missing = mock!(aws_sdk_s3::Client::get_object)
            .then_error(|| GetObjectError::NoSuchKey(NoSuchKey::builder().build()));
        let broken = mock!(aws_sdk_s3::Client::get_object).then_output(|| {
            aws_sdk_s3::operation::get_object::GetObjectOutput::builder()
                .body(ByteStream::from_static(b"{not json"))
                .build()
        });
        let store = S3Store::new(
            mock_client!(aws_sdk_s3, RuleMode::Sequential, &[&missing, &broken]),
            "b",
        );
        assert!(store.load_manifest("app").await?.is_none());
        let err = store
            .load_manifest("app")
            .await
            .err()
            .map(|e| e.to_string());
        assert!(
            err.as_deref()
                .is_some_and(|e| e.contains("s3://b/backups/app/manifest.json is not valid")),
            "{err:?}"
        );
        Ok(())
    }
}
