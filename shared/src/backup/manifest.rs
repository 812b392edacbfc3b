//! `manifest.json`: what backups exist for one repository, and which chain
//! of bundles restores a given point.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Current manifest format.
pub const FORMAT: u32 = 1;

/// One repository's backups, oldest bundle first.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    pub format: u32,
    pub repository: String,
    pub bundles: Vec<BundleRecord>,
}

/// One bundle and the state of the repository after applying it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BundleRecord {
    /// 1, 2, 3, ... in the order the bundles were made.
    pub seq: u64,
    /// S3 key of the bundle.
    pub key: String,
    /// A full bundle has no prerequisites and starts a restore chain.
    pub full: bool,
    pub created_at: DateTime<Utc>,
    /// Commits that earlier bundles of the chain hold.
    pub prerequisites: Vec<String>,
    /// Every ref (`refs/heads/...`, `refs/tags/...`) and its object id after
    /// this bundle: the refs a restore at this point leaves.
    pub refs: BTreeMap<String, String>,
    /// The ref `HEAD` points to, when the remote advertised one.
    #[serde(default)]
    pub head: Option<String>,
    /// Refs deleted since the previous bundle, with the object they pointed
    /// to: earlier bundles keep those objects.
    #[serde(default)]
    pub deleted: BTreeMap<String, String>,
    /// Objects in the bundle's pack.
    pub objects: u64,
    /// Bundle size in bytes.
    pub size: u64,
    /// Hex SHA-256 of the whole bundle file.
    pub sha256: String,
}

/// Which point to restore.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Selector {
    Latest,
    /// The state after bundle `seq`.
    Seq(u64),
    /// The last state made at or before this time.
    At(DateTime<Utc>),
}

/// Why no chain can be chosen.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ChainError {
    #[error("the manifest of {0} lists no bundle yet: nothing to restore")]
    Empty(String),
    #[error("there is no bundle {seq} for {repository} (the last one is {last})")]
    NoSuchSeq {
        repository: String,
        seq: u64,
        last: u64,
    },
    #[error("no backup of {repository} was made at or before {at} (the first is from {first})")]
    TooEarly {
        repository: String,
        at: DateTime<Utc>,
        first: DateTime<Utc>,
    },
    #[error(
        "bundle {seq} of {repository} has no full bundle before it: the manifest is damaged, restore a later point"
    )]
    NoFullBundle { repository: String, seq: u64 },
}

impl Manifest {
    pub fn new(repository: &str) -> Self {
        Self {
            format: FORMAT,
            repository: repository.to_owned(),
            bundles: Vec::new(),
        }
    }

    pub fn latest(&self) -> Option<&BundleRecord> {
        self.bundles.last()
    }

    /// The next bundle's number.
    pub fn next_seq(&self) -> u64 {
        self.latest().map_or(1, |b| b.seq + 1)
    }

    /// Incremental bundles since the last full one.
    pub fn incrementals_since_full(&self) -> usize {
        self.bundles.iter().rev().take_while(|b| !b.full).count()
    }

    /// The bundles to apply, in order, to restore `selector`: the last full
    /// bundle at or before the target, then every bundle up to the target.
    pub fn chain(&self, selector: Selector) -> Result<&[BundleRecord], ChainError> {
        let repository = self.repository.clone();
        let last = self
            .latest()
            .ok_or_else(|| ChainError::Empty(repository.clone()))?;
        let target = match selector {
            Selector::Latest => self.bundles.len() - 1,
            Selector::Seq(seq) => {
                self.bundles
                    .iter()
                    .position(|b| b.seq == seq)
                    .ok_or(ChainError::NoSuchSeq {
                        repository: repository.clone(),
                        seq,
                        last: last.seq,
                    })?
            }
            Selector::At(at) => self
                .bundles
                .iter()
                .rposition(|b| b.created_at <= at)
                .ok_or(ChainError::TooEarly {
                    repository: repository.clone(),
                    at,
                    first: self.bundles[0].created_at,
                })?,
        };
        let start = self.bundles[..=target].iter().rposition(|b| b.full).ok_or(
            ChainError::NoFullBundle {
                repository,
                seq: self.bundles[target].seq,
            },
        )?;
        Ok(&self.bundles[start..=target])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn record(seq: u64, full: bool, hour: u32) -> BundleRecord {
        BundleRecord {
            seq,
            key: format!("k{seq}"),
            full,
            created_at: Utc.with_ymd_and_hms(2026, 1, 1, hour, 0, 0).unwrap(),
            prerequisites: Vec::new(),
            refs: BTreeMap::new(),
            head: None,
            deleted: BTreeMap::new(),
            objects: 1,
            size: 1,
            sha256: String::new(),
        }
    }

    fn manifest() -> Manifest {
        let mut m = Manifest::new("app");
        m.bundles = vec![
            record(1, true, 1),
            record(2, false, 2),
            record(3, true, 3),
            record(4, false, 4),
            record(5, false, 5),
        ];
        m
    }

    fn seqs(chain: &[BundleRecord]) -> Vec<u64> {
        chain.iter().map(|b| b.seq).collect()
    }

    #[test]
    fn chains_start_at_the_last_full_bundle() -> Result<(), ChainError> {
        let m = manifest();
        assert_eq!(seqs(m.chain(Selector::Latest)?), [3, 4, 5]);
        assert_eq!(seqs(m.chain(Selector::Seq(2))?), [1, 2]);
        assert_eq!(seqs(m.chain(Selector::Seq(3))?), [3]);
        let at = Utc.with_ymd_and_hms(2026, 1, 1, 4, 30, 0).unwrap();
        assert_eq!(seqs(m.chain(Selector::At(at))?), [3, 4]);
        assert_eq!(m.next_seq(), 6);
        assert_eq!(m.incrementals_since_full(), 2);
        Ok(())
    }

    #[test]
    fn impossible_selections_say_why() {
        let m = manifest();
        assert!(matches!(
            m.chain(Selector::Seq(9)),
            Err(ChainError::NoSuchSeq { last: 5, .. })
        ));
        let early = Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).unwrap();
        assert!(matches!(
            m.chain(Selector::At(early)),
            Err(ChainError::TooEarly { .. })
        ));
        assert_eq!(
            Manifest::new("x").chain(Selector::Latest),
            Err(ChainError::Empty("x".into()))
        );
        let mut broken = manifest();
        broken.bundles.remove(0);
        assert!(matches!(
            broken.chain(Selector::Seq(2)),
            Err(ChainError::NoFullBundle { seq: 2, .. })
        ));
    }
}
