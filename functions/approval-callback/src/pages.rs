//! The pages approval-callback answers with, and their status codes.
//!
//! Every value from the request or the link is masked and HTML-escaped
//! ([`escape`]: the masking boundary, [`shared::masked::Masked`], then
//! character references); the signature and the approval token only ever
//! appear inside the hidden fields of the confirmation form (the form must
//! carry the signed link to the POST, as signed: `escape_markup`), never
//! as visible text. The key never appears at all.

use chrono::{DateTime, Utc};
use shared::approval::policy::short;
use shared::approval::{ApprovalLink, Decision};
use shared::masked::Masked;

/// A page: status code and complete HTML document.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Page {
    pub status: u16,
    pub html: String,
}

/// `text` masked ([`Masked::new`]), then with `&`, `<`, `>`, `"` and `'`
/// as character references: safe to show, in element content and in
/// quoted attribute values.
pub fn escape(text: &str) -> String {
    escape_markup(Masked::new(text).as_str())
}

/// `&`, `<`, `>`, `"` and `'` as character references, nothing masked:
/// only for the signed link's hidden fields, which must reach the POST
/// exactly as signed.
fn escape_markup(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#x27;"),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem;color:#222}\
dl{display:grid;grid-template-columns:max-content 1fr;gap:.3rem 1rem}dt{font-weight:600}\
input,textarea{width:100%;padding:.4rem;margin:.2rem 0 .8rem;box-sizing:border-box}\
button{padding:.6rem 1.4rem;font-size:1rem}.approve{background:#1d7d3a;color:#fff}.reject{background:#b42318;color:#fff}";

fn document(status: u16, title: &str, body: &str) -> Page {
    Page {
        status,
        html: format!(
            "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
             <meta name=\"robots\" content=\"noindex, nofollow\">\
             <title>{title}</title><style>{STYLE}</style></head>\n<body>\n<h1>{title}</h1>\n{body}\n</body></html>\n",
            title = escape(title),
        ),
    }
}

fn verb(decision: Decision) -> &'static str {
    match decision {
        Decision::Approve => "Approve",
        Decision::Reject => "Reject",
    }
}

fn expiry(time: DateTime<Utc>) -> String {
    time.format("%Y-%m-%d %H:%M UTC").to_string()
}

/// What the link is about, as a definition list.
fn facts(link: &ApprovalLink) -> String {
    let mut rows = vec![
        ("Pipeline", link.pipeline.clone()),
        ("Stage", link.stage.clone()),
        ("Action", link.action.clone()),
    ];
    if let Some(execution) = &link.execution_id {
        rows.push(("Execution", execution.clone()));
    }
    if let Some(repository) = &link.repository {
        rows.push(("Repository", repository.clone()));
    }
    if let Some(commit) = &link.commit {
        rows.push(("Commit", short(commit).to_owned()));
    }
    if let Some(requester) = &link.requester {
        rows.push(("Started by", requester.clone()));
    }
    rows.push(("Link expires", expiry(link.expires)));
    let rows: String = rows
        .iter()
        .map(|(name, value)| format!("<dt>{name}</dt><dd>{}</dd>", escape(value)))
        .collect();
    format!("<dl>{rows}</dl>")
}

/// GET of a valid link: what will be decided, and the form that decides.
/// `fields` are the signed link's query pairs (hidden inputs); `action`
/// is the path the form posts to.
pub fn confirm(link: &ApprovalLink, fields: &[(String, String)], action: &str) -> Page {
    let verb = verb(link.decision);
    let hidden: String = fields
        .iter()
        .map(|(name, value)| {
            format!(
                "<input type=\"hidden\" name=\"{}\" value=\"{}\">",
                escape_markup(name),
                escape_markup(value)
            )
        })
        .collect();
    let class = verb.to_ascii_lowercase();
    let body = format!(
        "<p>You are about to <strong>{lower}</strong> this CodePipeline manual approval. \
         Nothing has been decided yet.</p>\n{facts}\n\
         <form method=\"post\" action=\"{action}\">{hidden}\
         <label for=\"approver\">Your name (recorded with the decision)</label>\
         <input id=\"approver\" name=\"approver\" required maxlength=\"100\" autocomplete=\"name\">\
         <label for=\"comment\">Comment (optional)</label>\
         <textarea id=\"comment\" name=\"comment\" maxlength=\"300\" rows=\"3\"></textarea>\
         <button type=\"submit\" class=\"{class}\">{verb}</button></form>",
        lower = class,
        facts = facts(link),
        action = escape(action),
    );
    document(200, &format!("{verb} {}?", link.pipeline), &body)
}

/// POST recorded the decision.
pub fn done(link: &ApprovalLink, approver: &str) -> Page {
    let past = match link.decision {
        Decision::Approve => "approved",
        Decision::Reject => "rejected",
    };
    let body = format!(
        "<p>The approval was <strong>{past}</strong> and recorded in CodePipeline as decided by {}.</p>\n{}",
        escape(approver),
        facts(link)
    );
    document(200, &format!("{} {past}", link.pipeline), &body)
}

/// The approval was decided already, or its token is no longer current.
pub fn conflict(link: &ApprovalLink, already_decided: bool) -> Page {
    let why = if already_decided {
        "This approval has already been decided (perhaps through this very link, or in the console). \
         Nothing was changed."
    } else {
        "This approval request is no longer current: the pipeline execution moved on, was superseded, \
         or the action was retried. Nothing was changed."
    };
    document(
        409,
        "Approval no longer open",
        &format!("<p>{why}</p>\n{}", facts(link)),
    )
}

/// The signature does not match: the link was altered or is not ours.
pub fn tampered() -> Page {
    document(
        403,
        "Link not valid",
        "<p>This link has been altered or was not issued by codewarden, so it cannot be used. \
         Use the link from the approval message exactly as received.</p>",
    )
}

/// The approval request's own expiry has passed.
pub fn expired(expired: DateTime<Utc>) -> Page {
    document(
        410,
        "Link expired",
        &format!(
            "<p>This approval request expired at {}. CodePipeline no longer waits for it; \
             nothing was changed.</p>",
            escape(&expiry(expired))
        ),
    )
}

/// A request that is not a complete link or form.
pub fn bad_request(problem: &str) -> Page {
    document(
        400,
        "Incomplete request",
        &format!(
            "<p>{}</p><p>Open the link from the approval message exactly as received.</p>",
            escape(problem)
        ),
    )
}

/// A method other than GET and POST.
pub fn method_not_allowed() -> Page {
    document(
        405,
        "Method not allowed",
        "<p>Open the link in a browser.</p>",
    )
}

/// CodePipeline failed; `retry`: a later attempt may work.
pub fn unavailable(retry: bool) -> Page {
    if retry {
        document(
            503,
            "Try again",
            "<p>CodePipeline did not answer. Nothing was changed; go back and submit the form again \
             in a moment.</p>",
        )
    } else {
        document(
            502,
            "Could not record the decision",
            "<p>CodePipeline refused the decision. Nothing was changed; decide in the CodePipeline \
             console instead, and tell the codewarden operators.</p>",
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn link(decision: Decision) -> ApprovalLink {
        ApprovalLink {
            pipeline: "web<script>".into(),
            stage: "Approve".into(),
            action: "Manual".into(),
            token: "6d2a8f4c-token".into(),
            decision,
            expires: DateTime::from_timestamp(1_767_830_400, 0).unwrap_or_default(),
            execution_id: Some("e-1".into()),
            repository: Some("app".into()),
            commit: Some("4c1f0e9d8c7b6a5f4e3d2c1b0a9f8e7d6c5b4a39".into()),
            requester: Some("\"alice\" & <bob>".into()),
        }
    }

    #[test]
    fn escape_neutralises_markup() {
        assert_eq!(
            escape(r#"<a href="x" onclick='y'>&</a>"#),
            "&lt;a href=&quot;x&quot; onclick=&#x27;y&#x27;&gt;&amp;&lt;/a&gt;"
        );
    }

    #[test]
    fn pages() {
        let fields = vec![
            ("pipeline".to_owned(), "web<script>".to_owned()),
            ("sig".to_owned(), "ab\"cd".to_owned()),
        ];
        let confirm = confirm(&link(Decision::Approve), &fields, "/approval");
        assert_eq!(confirm.status, 200);
        assert!(!confirm.html.contains("<script>") && !confirm.html.contains("ab\"cd"));
        insta::assert_snapshot!("confirm_approve", confirm.html);
        insta::assert_snapshot!(
            "confirm_reject",
            super::confirm(&link(Decision::Reject), &[], "/").html
        );
        let done = done(&link(Decision::Approve), "Ann <ann@example.com>");
        assert!(!done.html.contains("6d2a8f4c"), "token shown");
        insta::assert_snapshot!("done", done.html);
        for (name, page, status) in [
            (
                "conflict_decided",
                conflict(&link(Decision::Reject), true),
                409,
            ),
            (
                "conflict_token",
                conflict(&link(Decision::Reject), false),
                409,
            ),
            ("tampered", tampered(), 403),
            ("expired", expired(link(Decision::Approve).expires), 410),
            ("bad_request", bad_request("`sig` is missing"), 400),
            ("method", method_not_allowed(), 405),
            ("retry", unavailable(true), 503),
            ("refused", unavailable(false), 502),
        ] {
            assert_eq!(page.status, status, "{name}");
            insta::assert_snapshot!(name, page.html);
        }
    }
}
