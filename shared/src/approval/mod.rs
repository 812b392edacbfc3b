//! Manual approvals: what `approval-gate` and `approval-callback` share.
//!
//! - [`link`]: the signed approve / reject links (HMAC-SHA256 over every
//!   field, expiry = the approval request's own), their query-string
//!   encoding and constant-time verification;
//! - [`policy`]: the approval policy (per pipeline / stage: allow-list,
//!   change windows, repository mapping) and its pure evaluation into
//!   approve, reject or "ask a human".
//!
//! No AWS here: the functions fetch the facts (source commit, findings
//! report, signing key) and hand them in.

pub mod link;
pub mod policy;

use crate::masked::Masked;
pub use link::{ApprovalLink, Decision, LinkError, SignedLink, SigningKey};

pub use policy::{ChangeWindow, Facts, Policy, PolicyError, Rule, ScanState, Verdict};

/// `PutApprovalResult` refuses a summary longer than 512 characters.
pub const MAX_SUMMARY_CHARS: usize = 512;

/// `text` masked ([`Masked::new`]: the reason may quote a commit message
/// or a pipeline's custom data), then cut to [`MAX_SUMMARY_CHARS`]
/// characters (not bytes), ending with `...` when cut, line breaks turned
/// into spaces. Masked first: a cut key would no longer be recognised.
pub fn summary(text: &str) -> Masked {
    let masked = Masked::new(text);
    let clean: String = masked
        .as_str()
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let clean = clean.trim();
    if clean.chars().count() <= MAX_SUMMARY_CHARS {
        return Masked::assembled(clean.to_owned());
    }
    let cut: String = clean.chars().take(MAX_SUMMARY_CHARS - 3).collect();
    Masked::assembled(format!("{}...", cut.trim_end()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summaries_fit_put_approval_result() {
        // GIVEN a long multi-byte text WHEN summarised THEN 512 characters at most
        let long = "é".repeat(600);
        let cut = summary(&long);
        assert_eq!(cut.as_str().chars().count(), MAX_SUMMARY_CHARS);
        assert!(cut.as_str().ends_with("..."));
        assert_eq!(summary(" a\nb "), "a b");
        // AND a key is masked before the cut
        let key = ["AKIA", "Z7Q3XK2LMNB4RT6Y"].concat();
        let text = format!("{} {key}", "x".repeat(500));
        assert!(!summary(&text).as_str().contains("AKIAZ7Q3"));
    }
}
