//! The CodeBuild subset of `local-aws`: `BatchGetBuilds`, answered from
//! builds seeded over `POST /_admin/codebuild/builds`.
//!
//! A seeded build is stored in the API's own shape (camelCase, times as
//! epoch seconds) and answered as is, with `arn` and `projectName` derived
//! from `id` when omitted, so a test writes only what it asserts on.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::{Value, json};

use crate::server::lock;
use crate::{ApiError, State};

/// BatchGetBuilds takes at most this many ids.
const MAX_BATCH_IDS: usize = 100;

/// Seeded builds by id (`PROJECT:UUID`).
#[derive(Debug, Default)]
pub struct Model {
    builds: BTreeMap<String, Value>,
}

impl Model {
    /// Adds or replaces a build. `seed` is a `Build` as `BatchGetBuilds`
    /// returns it; `id` (`PROJECT:UUID`) is required.
    ///
    /// ```json
    /// {"id": "app:2b7e", "buildStatus": "FAILED", "currentPhase": "COMPLETED",
    ///  "phases": [{"phaseType": "BUILD", "phaseStatus": "FAILED",
    ///              "contexts": [{"statusCode": "COMMAND_EXECUTION_ERROR", "message": "..."}]}],
    ///  "logs": {"groupName": "/aws/codebuild/app", "streamName": "2b7e"},
    ///  "initiator": "codepipeline/web"}
    /// ```
    pub fn put_build(
        &mut self,
        mut seed: Value,
        region: &str,
        account: &str,
    ) -> Result<Value, ApiError> {
        let Some(build) = seed.as_object_mut() else {
            return Err(ApiError::validation("a build must be a JSON object"));
        };
        let id = build
            .get("id")
            .and_then(Value::as_str)
            .filter(|id| id.contains(':'))
            .ok_or_else(|| ApiError::validation("`id` is required, as PROJECT:UUID"))?
            .to_owned();
        let project = id.split(':').next().unwrap_or_default().to_owned();
        build
            .entry("arn")
            .or_insert_with(|| json!(format!("arn:aws:codebuild:{region}:{account}:build/{id}")));
        build.entry("projectName").or_insert_with(|| json!(project));
        build
            .entry("buildStatus")
            .or_insert_with(|| json!("SUCCEEDED"));
        self.builds.insert(id.clone(), seed);
        Ok(json!({ "id": id }))
    }

    fn batch_get_builds(&self, input: BatchGetBuildsInput) -> Result<Value, ApiError> {
        // The model: 1 to 100 ids, each non-empty; CodeBuild answers
        // InvalidInputException for anything else.
        let ids = input.ids.unwrap_or_default();
        if ids.is_empty() || ids.len() > MAX_BATCH_IDS {
            return Err(ApiError::client(
                "InvalidInputException",
                format!(
                    "ids must hold 1 to {MAX_BATCH_IDS} build ids, got {}",
                    ids.len()
                ),
            ));
        }
        if ids.iter().any(|id| id.is_empty()) {
            return Err(ApiError::client(
                "InvalidInputException",
                "a build id must not be empty",
            ));
        }
        let mut builds = Vec::new();
        let mut not_found = Vec::new();
        for id in ids {
            // Accepted as an id or an ARN, like CodeBuild does.
            let key = id.rsplit_once(":build/").map_or(id.as_str(), |(_, id)| id);
            match self.builds.get(key) {
                Some(build) => builds.push(build.clone()),
                None => not_found.push(id),
            }
        }
        Ok(json!({ "builds": builds, "buildsNotFound": not_found }))
    }
}

#[derive(Deserialize)]
struct BatchGetBuildsInput {
    ids: Option<Vec<String>>,
}

pub fn handle(state: &State, operation: &str, input: Value) -> Result<Value, ApiError> {
    let model = lock(&state.codebuild);
    match operation {
        "BatchGetBuilds" => model.batch_get_builds(ApiError::parse(input)?),
        _ => Err(ApiError::unknown_operation(operation)),
    }
}
