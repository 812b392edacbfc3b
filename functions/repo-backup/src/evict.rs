//! Keeps `MIRROR_DIR` from filling the function's ephemeral storage: before
//! a fetch, below `MIN_FREE_TMP_MB`, the least recently used other mirrors
//! are deleted ([`shared::local_copies`], which the secret scanner's copies
//! use too); an evicted repository's next backup clones afresh (its backup
//! chain is unaffected: bundles are computed against the manifest's refs,
//! not the mirror).

pub use shared::local_copies::{Evicted, Statvfs, disk_usage, make_room, touch};
