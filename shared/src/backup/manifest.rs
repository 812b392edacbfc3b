//! `manifest.json`: what backups exist for one repository, and which chain
//! of bundles restores a given point.
//!
//! Since format 2 a record holds only the refs its bundle changed
//! (`updated`, `deleted`), not every ref: with many refs and many pushes a
//! full copy per record made the manifest grow as refs x pushes, and every
//! backup reads and rewrites it. The refs at a point are rebuilt by replaying
//! the records from the first one ([`Manifest::refs_after`]). Format 1
//! records (a full `refs` snapshot each) still read: a snapshot replaces the
//! replayed state, and [`Manifest::push`] rewrites them as deltas.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Current manifest format: 2, delta records (1: a snapshot per record).
pub const FORMAT: u32 = 2;

/// `refname -> object id (hex)`.
pub type Refs = BTreeMap<String, String>;

/// One repository's backups, oldest bundle first.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    pub format: u32,
    pub repository: String,
    pub bundles: Vec<BundleRecord>,
}

/// One bundle and how the repository's refs changed with it.
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
    /// Format 1 only: every ref (`refs/heads/...`, `refs/tags/...`) after
    /// this bundle. Format 2 records leave it out (`None`) and carry the
    /// changes in `updated` and `deleted`; [`Manifest::expanded`] fills it in
    /// for listings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refs: Option<Refs>,
    /// Refs created or moved since the previous bundle, with their new
    /// object.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub updated: Refs,
    /// The ref `HEAD` points to, when the remote advertised one.
    #[serde(default)]
    pub head: Option<String>,
    /// Refs deleted since the previous bundle, with the object they pointed
    /// to: earlier bundles keep those objects.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub deleted: Refs,
    /// Objects in the bundle's pack.
    pub objects: u64,
    /// Bundle size in bytes.
    pub size: u64,
    /// Hex SHA-256 of the whole bundle file.
    pub sha256: String,
}

impl BundleRecord {
    /// Applies this record to `state`, the refs after the previous record.
    fn apply(&self, state: &mut Refs) {
        match &self.refs {
            // A format 1 record: its snapshot is the state.
            Some(snapshot) => state.clone_from(snapshot),
            None => {
                for name in self.deleted.keys() {
                    state.remove(name);
                }
                state.extend(self.updated.iter().map(|(n, o)| (n.clone(), o.clone())));
            }
        }
    }

    /// Records the change from `before` to `after` as `updated` and
    /// `deleted`, dropping any snapshot.
    fn set_delta(&mut self, before: &Refs, after: &Refs) {
        self.refs = None;
        self.updated = after
            .iter()
            .filter(|(name, oid)| before.get(*name) != Some(*oid))
            .map(|(n, o)| (n.clone(), o.clone()))
            .collect();
        self.deleted = before
            .iter()
            .filter(|(name, _)| !after.contains_key(*name))
            .map(|(n, o)| (n.clone(), o.clone()))
            .collect();
    }
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
    #[error(
        "the manifest of {repository} has format {format}, newer than the {FORMAT} this codewarden reads: upgrade codewarden"
    )]
    UnsupportedFormat { repository: String, format: u32 },
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

    /// Refuses a manifest written by a newer codewarden, whose records this
    /// one might misread.
    pub fn check_format(&self) -> Result<(), ChainError> {
        if self.format > FORMAT {
            return Err(ChainError::UnsupportedFormat {
                repository: self.repository.clone(),
                format: self.format,
            });
        }
        Ok(())
    }

    /// Every record with the refs after it, oldest first.
    pub fn states(&self) -> impl Iterator<Item = (&BundleRecord, Refs)> + '_ {
        let mut state = Refs::new();
        self.bundles.iter().map(move |record| {
            record.apply(&mut state);
            (record, state.clone())
        })
    }

    /// The refs after bundle `seq` (replayed), or `None` without that bundle.
    pub fn refs_after(&self, seq: u64) -> Option<Refs> {
        let end = self.bundles.iter().position(|b| b.seq == seq)?;
        Some(self.replay(end + 1))
    }

    /// The refs after the latest bundle (none before the first).
    pub fn latest_refs(&self) -> Refs {
        self.replay(self.bundles.len())
    }

    /// The state after the first `count` records, replayed from the last
    /// snapshot among them (the first record when there is none).
    fn replay(&self, count: usize) -> Refs {
        let records = &self.bundles[..count];
        let start = records.iter().rposition(|b| b.refs.is_some()).unwrap_or(0);
        let mut state = Refs::new();
        for record in &records[start..] {
            record.apply(&mut state);
        }
        state
    }

    /// Appends `record` for the repository state `refs`: the record keeps
    /// only what changed since the latest bundle. Format 1 records are
    /// rewritten as deltas on the way (the same states, replayed).
    pub fn push(&mut self, mut record: BundleRecord, refs: &Refs) {
        self.compact();
        record.set_delta(&self.latest_refs(), refs);
        self.bundles.push(record);
    }

    /// Rewrites format 1 snapshot records as deltas; every point restores
    /// the same refs as before.
    pub fn compact(&mut self) {
        let mut state = Refs::new();
        for record in &mut self.bundles {
            let before = state.clone();
            record.apply(&mut state);
            if record.refs.is_some() {
                record.set_delta(&before, &state);
            }
        }
        self.format = FORMAT;
    }

    /// The manifest with every record's full `refs` filled in (for
    /// `backups list --format json`: what a reader wants to see per point).
    pub fn expanded(&self) -> Manifest {
        let bundles = self
            .states()
            .map(|(record, refs)| BundleRecord {
                refs: Some(refs),
                ..record.clone()
            })
            .collect();
        Manifest {
            format: self.format,
            repository: self.repository.clone(),
            bundles,
        }
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
            refs: None,
            updated: BTreeMap::new(),
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

    fn refs(pairs: &[(&str, &str)]) -> Refs {
        pairs
            .iter()
            .map(|(n, o)| ((*n).to_owned(), (*o).to_owned()))
            .collect()
    }

    #[test]
    fn records_hold_only_changes_and_replay_to_every_state() {
        // GIVEN three states: two refs; one moved and one added; one deleted
        let states = [
            refs(&[("refs/heads/main", "a1"), ("refs/tags/v1", "t1")]),
            refs(&[
                ("refs/heads/main", "a2"),
                ("refs/heads/topic", "b1"),
                ("refs/tags/v1", "t1"),
            ]),
            refs(&[("refs/heads/main", "a2"), ("refs/tags/v1", "t1")]),
        ];
        // WHEN each is pushed as a record
        let mut m = Manifest::new("app");
        for (i, state) in states.iter().enumerate() {
            m.push(record(i as u64 + 1, i == 0, i as u32), state);
        }
        // THEN a record holds only what changed
        assert_eq!(m.bundles[0].updated, states[0]);
        assert_eq!(
            m.bundles[1].updated,
            refs(&[("refs/heads/main", "a2"), ("refs/heads/topic", "b1")])
        );
        assert!(m.bundles[1].deleted.is_empty());
        assert!(m.bundles[2].updated.is_empty());
        assert_eq!(m.bundles[2].deleted, refs(&[("refs/heads/topic", "b1")]));
        assert!(m.bundles.iter().all(|b| b.refs.is_none()));
        // AND replaying gives every state back, in JSON too
        let read: Manifest = serde_json::from_str(&serde_json::to_string(&m).unwrap()).unwrap();
        for (seq, state) in (1..).zip(&states) {
            assert_eq!(read.refs_after(seq).as_ref(), Some(state), "seq {seq}");
        }
        assert_eq!(read.latest_refs(), states[2]);
        assert_eq!(read.refs_after(9), None);
        let listed: Vec<Refs> = read.states().map(|(_, refs)| refs).collect();
        assert_eq!(listed, states);
        assert!(
            !serde_json::to_string(&m).unwrap().contains("\"refs\""),
            "no snapshot is written"
        );
    }

    #[test]
    fn format_1_snapshots_still_read_and_are_rewritten_as_deltas() -> anyhow::Result<()> {
        // GIVEN a manifest as format 1 wrote it: every record a snapshot
        let json = r#"{"format":1,"repository":"app","bundles":[
          {"seq":1,"key":"k1","full":true,"created_at":"2026-01-01T00:00:00Z","prerequisites":[],
           "refs":{"refs/heads/main":"a1","refs/heads/old":"o1"},"head":"refs/heads/main","deleted":{},
           "objects":3,"size":10,"sha256":"s1"},
          {"seq":2,"key":"k2","full":false,"created_at":"2026-01-02T00:00:00Z","prerequisites":["a1"],
           "refs":{"refs/heads/main":"a2"},"head":"refs/heads/main","deleted":{"refs/heads/old":"o1"},
           "objects":1,"size":5,"sha256":"s2"}]}"#;
        let mut m: Manifest = serde_json::from_str(json)?;
        m.check_format()?;
        // THEN each point replays to its snapshot
        assert_eq!(
            m.refs_after(1),
            Some(refs(&[("refs/heads/main", "a1"), ("refs/heads/old", "o1")]))
        );
        assert_eq!(m.latest_refs(), refs(&[("refs/heads/main", "a2")]));
        // WHEN a format 2 record is appended
        m.push(record(3, false, 3), &refs(&[("refs/heads/main", "a3")]));
        // THEN the old records became deltas with the same states
        assert_eq!(m.format, FORMAT);
        assert!(m.bundles.iter().all(|b| b.refs.is_none()));
        assert_eq!(m.bundles[1].updated, refs(&[("refs/heads/main", "a2")]));
        assert_eq!(m.bundles[1].deleted, refs(&[("refs/heads/old", "o1")]));
        assert_eq!(
            m.refs_after(1),
            Some(refs(&[("refs/heads/main", "a1"), ("refs/heads/old", "o1")]))
        );
        assert_eq!(m.refs_after(2), Some(refs(&[("refs/heads/main", "a2")])));
        assert_eq!(m.bundles[2].updated, refs(&[("refs/heads/main", "a3")]));
        // AND the listing view shows full refs per record
        let expanded = m.expanded();
        assert_eq!(expanded.bundles[0].refs, m.refs_after(1));
        assert_eq!(expanded.bundles[2].refs, Some(m.latest_refs()));
        Ok(())
    }

    #[test]
    fn a_newer_format_is_refused_with_a_hint() {
        let mut m = Manifest::new("app");
        m.format = FORMAT + 1;
        let err = m.check_format().err().map(|e| e.to_string());
        assert!(
            err.as_deref()
                .is_some_and(|e| e.contains("upgrade codewarden")),
            "{err:?}"
        );
    }
}
