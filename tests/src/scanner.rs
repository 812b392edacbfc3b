//! The secret scanner's test stack, shared by its end-to-end tests: its
//! own local-aws (in process) and repository, its own bucket, topic and
//! queue in moto, and the function's SDK dependencies pointed at them,
//! CodeCommit called as the scanner's role.

use std::collections::BTreeMap;
use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use secret_scanner::{Clients, Config, Outcome, SdkDeps, handle};
use serde_json::{Value, json};

use crate::{
    Delivered, LocalAws, SCANNER_ACCESS_KEY, TopicQueue, commit_file, create_bucket, init_repo,
    moto_s3, moto_sdk_config, unique_name,
};

/// One test's scanner stack.
pub struct ScannerStack {
    pub aws: LocalAws,
    pub deps: SdkDeps,
    pub config: Config,
    /// moto's SDK configuration, for more clients (Secrets Manager, ...).
    pub moto: aws_config::SdkConfig,
    pub s3: aws_sdk_s3::Client,
    pub sqs: aws_sdk_sqs::Client,
    /// CodeCommit as the default caller (not the scanner).
    pub codecommit: aws_sdk_codecommit::Client,
    pub topic: TopicQueue,
    pub repository: String,
    /// The repository's git directory (local-aws serves it).
    pub repo: PathBuf,
    /// `GIT_SCAN_DIR` of [`Self::enable_git`].
    pub git_dir: tempfile::TempDir,
}

impl ScannerStack {
    /// A stack with the function's settings plus `settings`
    /// (`(name, value)` environment entries).
    pub async fn start(settings: &[(&str, &str)]) -> Result<Self> {
        let moto = moto_sdk_config().await?;
        let s3 = moto_s3(&moto);
        let sns = aws_sdk_sns::Client::new(&moto);
        let sqs = aws_sdk_sqs::Client::new(&moto);
        let bucket = create_bucket(&s3, "findings").await?;
        let topic = TopicQueue::create(&sns, &sqs, "findings").await?;
        let mut env: BTreeMap<&str, String> = BTreeMap::from([
            ("FINDINGS_TOPIC_ARN", topic.topic_arn.clone()),
            ("REPORT_BUCKET", bucket),
            ("S3_FORCE_PATH_STYLE", "true".to_owned()),
        ]);
        for (name, value) in settings {
            env.insert(name, (*value).to_owned());
        }
        let config = Config::from_lookup(|name| env.get(name).cloned())?;
        let aws = LocalAws::start().await?;
        let repository = unique_name("repo");
        let repo = init_repo(&aws.repos_dir(), &repository)?;
        let local = aws.sdk_config_as(SCANNER_ACCESS_KEY).await;
        let mut clients = Clients::new(&moto, &config);
        clients.codecommit = secret_scanner::codecommit_client(&local, &config);
        clients.caller = aws_sdk_sts::Client::new(&local);
        let deps = SdkDeps::new(config.clone(), clients)?;
        Ok(Self {
            codecommit: aws.codecommit().await,
            aws,
            deps,
            config,
            moto,
            s3,
            sqs,
            topic,
            repository,
            repo,
            git_dir: tempfile::tempdir()?,
        })
    }

    /// Turns the scanner's git path on, as `main` does in Lambda: local-aws's
    /// git endpoint, the scanner's credentials (SigV4 git password),
    /// `GIT_SCAN_THRESHOLD` from the stack's settings, copies in
    /// [`Self::git_dir`].
    pub async fn enable_git(&mut self) -> Result<()> {
        let mut config = self.config.clone();
        config.git_endpoint = Some(self.aws.endpoint());
        config.git_scan_dir = self.git_dir.path().to_owned();
        let sdk = self.aws.sdk_config_as(SCANNER_ACCESS_KEY).await;
        self.deps.git = Some(
            secret_scanner::git_path::GitAccess::from_sdk(&sdk, &config)
                .context("GIT_SCAN_THRESHOLD is 0: the git path is off")?,
        );
        Ok(())
    }

    /// [`Self::enable_git`] with a continuation queue in moto (returned):
    /// a git-path scan with less than `margin` left hands over a cursor.
    pub async fn enable_git_continuation(&mut self, margin: std::time::Duration) -> Result<String> {
        self.enable_git().await?;
        let queue_url = self
            .sqs
            .create_queue()
            .queue_name(unique_name("git-cursors"))
            .send()
            .await?
            .queue_url
            .context("no queue URL")?;
        if let Some(git) = self.deps.git.as_mut() {
            git.cursors = Some(secret_scanner::adapters::SqsCursors {
                client: self.sqs.clone(),
                queue_url: queue_url.clone(),
            });
            git.margin = margin;
        }
        Ok(queue_url)
    }

    /// Opens a pull request from `source` into `destination` as the
    /// default caller; its id and the event EventBridge would deliver for
    /// it (`events/codecommit-pr-created.json` with this pull request's
    /// commits and references).
    pub async fn open_pull_request(
        &self,
        source: &str,
        destination: &str,
    ) -> Result<(String, Value)> {
        let out = self
            .codecommit
            .create_pull_request()
            .title(format!("Merge {source}"))
            .targets(
                aws_sdk_codecommit::types::Target::builder()
                    .repository_name(&self.repository)
                    .source_reference(source)
                    .destination_reference(destination)
                    .build()?,
            )
            .client_request_token(crate::unique_name("pr"))
            .send()
            .await?;
        let pr = out.pull_request().context("no pull request")?;
        let id = pr
            .pull_request_id()
            .context("no pull request id")?
            .to_owned();
        let target = pr.pull_request_targets().first().context("no target")?;
        let mut event = sample_event("codecommit-pr-created")?;
        let detail = &mut event["detail"];
        detail["repositoryNames"] = json!([self.repository]);
        detail["pullRequestId"] = json!(id);
        detail["sourceCommit"] = json!(target.source_commit());
        detail["destinationCommit"] = json!(target.destination_commit());
        detail["mergeBase"] = json!(target.merge_base());
        detail["sourceReference"] = json!(target.source_reference());
        detail["destinationReference"] = json!(target.destination_reference());
        detail["revisionId"] = json!(pr.revision_id());
        Ok((id, event))
    }

    /// The handler, called as Lambda calls it.
    pub async fn invoke(&self, event: Value) -> Result<Outcome> {
        Ok(handle(event, &self.deps).await?)
    }

    /// Writes and commits one file; the new commit id.
    pub fn commit(&self, file: &str, contents: &str, message: &str) -> Result<String> {
        commit_file(&self.repo, file, contents.as_bytes(), message)
    }

    /// Commits one file on `branch` (created from the current branch if
    /// new), then checks `main` out again: the served repository's `HEAD`
    /// is its default branch, as in CodeCommit.
    pub fn commit_on(
        &self,
        branch: &str,
        file: &str,
        contents: &str,
        message: &str,
    ) -> Result<String> {
        let known = crate::git(
            &self.repo,
            &[
                "rev-parse",
                "--verify",
                "-q",
                &format!("refs/heads/{branch}"),
            ],
        )
        .is_ok();
        if known {
            crate::git(&self.repo, &["checkout", "-q", branch])?;
        } else {
            crate::git(&self.repo, &["checkout", "-q", "-b", branch])?;
        }
        let id = self.commit(file, contents, message);
        crate::git(&self.repo, &["checkout", "-q", "main"])?;
        id
    }

    /// A push event for `branch` of this repository (`old`: `None` for a
    /// new branch).
    pub fn push(&self, branch: &str, old: Option<&str>, new: &str) -> Result<Value> {
        let mut event = sample_event("codecommit-push")?;
        let detail = &mut event["detail"];
        detail["repositoryName"] = json!(self.repository);
        detail["referenceName"] = json!(branch);
        detail["referenceFullName"] = json!(format!("refs/heads/{branch}"));
        detail["commitId"] = json!(new);
        match old {
            Some(old) => detail["oldCommitId"] = json!(old),
            None => {
                detail["event"] = json!("referenceCreated");
                if let Some(d) = detail.as_object_mut() {
                    d.remove("oldCommitId");
                }
            }
        }
        Ok(event)
    }

    /// The findings report of `commit`, if written.
    pub async fn report(&self, commit: &str) -> Result<Option<Value>> {
        let key = self.config.report_key(&self.repository, commit);
        match self
            .s3
            .get_object()
            .bucket(&self.config.report_bucket)
            .key(&key)
            .send()
            .await
        {
            Ok(object) => {
                let bytes = object.body.collect().await?.into_bytes();
                Ok(Some(serde_json::from_slice(&bytes)?))
            }
            Err(e) if format!("{e:?}").contains("NoSuchKey") => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// Every comment on the commit `after` (compared with `before`).
    pub async fn commit_comments(&self, before: Option<&str>, after: &str) -> Result<Vec<Value>> {
        let out = self
            .codecommit
            .get_comments_for_compared_commit()
            .repository_name(&self.repository)
            .set_before_commit_id(before.map(str::to_owned))
            .after_commit_id(after)
            .send()
            .await?;
        let mut all = Vec::new();
        for group in out.comments_for_compared_commit_data() {
            let location = group.location();
            for comment in group.comments() {
                all.push(json!({
                    "path": location.and_then(|l| l.file_path()),
                    "line": location.and_then(|l| l.file_position()),
                    "content": comment.content(),
                    "token": comment.client_request_token(),
                }));
            }
        }
        Ok(all)
    }

    /// Every message the queue holds now.
    pub async fn received(&self) -> Result<Vec<Delivered>> {
        self.topic.delivered(&self.sqs).await
    }

    /// The one alert the queue holds now (an error if not exactly one).
    pub async fn one_message(&self) -> Result<Delivered> {
        let mut messages = self.received().await?;
        if messages.len() != 1 {
            bail!("expected exactly one alert, got {}", messages.len());
        }
        Ok(messages.remove(0))
    }

    /// local-aws's API call counts, by operation.
    pub async fn calls(&self) -> Result<BTreeMap<String, u64>> {
        Ok(serde_json::from_value(self.aws.admin_get("/calls").await?)?)
    }
}

/// A sample event of `events/` (real shapes).
pub fn sample_event(name: &str) -> Result<Value> {
    let path = format!("{}/../events/{name}.json", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).with_context(|| format!("reading {path}"))?;
    Ok(serde_json::from_str(&text)?)
}
