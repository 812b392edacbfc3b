//! AWS console deep links: where a person clicks to see what an alert is
//! about (a pipeline execution, a build, a log stream, a commit).
//!
//! The console's host depends on the partition, which the region tells:
//! `cn-*` is `aws-cn` (`console.amazonaws.cn`), `us-gov-*` is `aws-us-gov`
//! (`console.amazonaws-us-gov.com`), everything else is `aws`
//! (`<region>.console.aws.amazon.com`). Every link also carries
//! `?region=`, because the console otherwise opens the user's last region.

/// An AWS partition, as far as console links care.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Partition {
    Aws,
    AwsCn,
    AwsUsGov,
}

impl Partition {
    /// The partition a region belongs to.
    pub fn of_region(region: &str) -> Self {
        if region.starts_with("cn-") {
            Self::AwsCn
        } else if region.starts_with("us-gov-") {
            Self::AwsUsGov
        } else {
            Self::Aws
        }
    }

    /// `aws`, `aws-cn`, `aws-us-gov`: the second field of an ARN.
    pub fn name(self) -> &'static str {
        match self {
            Self::Aws => "aws",
            Self::AwsCn => "aws-cn",
            Self::AwsUsGov => "aws-us-gov",
        }
    }
}

/// `https://<console host>` for `region`, without a trailing slash.
pub fn console_origin(region: &str) -> String {
    match Partition::of_region(region) {
        Partition::Aws => format!("https://{region}.console.aws.amazon.com"),
        Partition::AwsCn => "https://console.amazonaws.cn".to_owned(),
        Partition::AwsUsGov => "https://console.amazonaws-us-gov.com".to_owned(),
    }
}

/// The execution's timeline in the CodePipeline console.
pub fn pipeline_execution(region: &str, pipeline: &str, execution_id: &str) -> String {
    format!(
        "{}/codesuite/codepipeline/pipelines/{}/executions/{}/timeline?region={region}",
        console_origin(region),
        encode(pipeline),
        encode(execution_id),
    )
}

/// A CodeBuild build. `build` is a build id (`PROJECT:UUID`) or a build ARN
/// (`arn:PARTITION:codebuild:REGION:ACCOUNT:build/PROJECT:UUID`).
pub fn build(region: &str, build: &str) -> String {
    let id = build_id(build);
    let project = id.split_once(':').map_or(id, |(project, _)| project);
    format!(
        "{}/codesuite/codebuild/projects/{}/build/{}/?region={region}",
        console_origin(region),
        encode(project),
        encode(id),
    )
}

/// A CloudWatch Logs log stream. The console wants the group and stream
/// names URL-encoded twice with `%` spelled `$25` (`/` is `$252F`).
pub fn log_stream(region: &str, group: &str, stream: &str) -> String {
    format!(
        "{}/cloudwatch/home?region={region}#logsV2:log-groups/log-group/{}/log-events/{}",
        console_origin(region),
        console_fragment(group),
        console_fragment(stream),
    )
}

/// A commit in the CodeCommit console.
pub fn commit(region: &str, repository: &str, commit_id: &str) -> String {
    format!(
        "{}/codesuite/codecommit/repositories/{}/commit/{}?region={region}",
        console_origin(region),
        encode(repository),
        encode(commit_id),
    )
}

/// `PROJECT:UUID` from a build ARN; a build id is returned as is.
pub fn build_id(build: &str) -> &str {
    if build.starts_with("arn:") {
        build.split_once(":build/").map_or(build, |(_, id)| id)
    } else {
        build
    }
}

/// Percent-encodes everything but RFC 3986 unreserved characters.
fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

fn console_fragment(text: &str) -> String {
    encode(text).replace('%', "$25")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partition_follows_the_region() {
        assert_eq!(Partition::of_region("eu-west-1"), Partition::Aws);
        assert_eq!(Partition::of_region("cn-northwest-1"), Partition::AwsCn);
        assert_eq!(Partition::of_region("us-gov-west-1"), Partition::AwsUsGov);
        assert_eq!(Partition::of_region("us-gov-east-1").name(), "aws-us-gov");
    }

    #[test]
    fn pipeline_execution_link_per_partition() {
        assert_eq!(
            pipeline_execution("eu-west-1", "web", "e-1"),
            "https://eu-west-1.console.aws.amazon.com/codesuite/codepipeline/pipelines/web/executions/e-1/timeline?region=eu-west-1"
        );
        assert_eq!(
            pipeline_execution("cn-north-1", "web", "e-1"),
            "https://console.amazonaws.cn/codesuite/codepipeline/pipelines/web/executions/e-1/timeline?region=cn-north-1"
        );
        assert_eq!(
            pipeline_execution("us-gov-west-1", "web", "e-1"),
            "https://console.amazonaws-us-gov.com/codesuite/codepipeline/pipelines/web/executions/e-1/timeline?region=us-gov-west-1"
        );
    }

    #[test]
    fn build_link_accepts_an_id_or_an_arn() {
        let expected = "https://us-east-1.console.aws.amazon.com/codesuite/codebuild/projects/app/build/app%3A2b7e/?region=us-east-1";
        assert_eq!(build("us-east-1", "app:2b7e"), expected);
        assert_eq!(
            build(
                "us-east-1",
                "arn:aws:codebuild:us-east-1:123456789012:build/app:2b7e"
            ),
            expected
        );
        assert_eq!(
            build(
                "cn-north-1",
                "arn:aws-cn:codebuild:cn-north-1:1:build/app:2b7e"
            ),
            "https://console.amazonaws.cn/codesuite/codebuild/projects/app/build/app%3A2b7e/?region=cn-north-1"
        );
    }

    #[test]
    fn log_stream_link_double_encodes_slashes() {
        assert_eq!(
            log_stream("us-east-1", "/aws/codebuild/app", "2b7e"),
            "https://us-east-1.console.aws.amazon.com/cloudwatch/home?region=us-east-1#logsV2:log-groups/log-group/$252Faws$252Fcodebuild$252Fapp/log-events/2b7e"
        );
        assert_eq!(
            log_stream("us-gov-east-1", "g", "a/b"),
            "https://console.amazonaws-us-gov.com/cloudwatch/home?region=us-gov-east-1#logsV2:log-groups/log-group/g/log-events/a$252Fb"
        );
    }

    #[test]
    fn commit_link() {
        assert_eq!(
            commit("us-east-1", "app", "4c1f"),
            "https://us-east-1.console.aws.amazon.com/codesuite/codecommit/repositories/app/commit/4c1f?region=us-east-1"
        );
    }
}
