//! The transaction context of a source task with connector-defined transaction boundaries (Kafka's
//! `WorkerTransactionContext`): what the task asked for, taken by the task loop after each record and each batch.

use std::sync::Mutex;

use connect_api::{ConnectError, SourceRecord, TransactionContext};

/// How the task asked its transaction to end.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TransactionEnd {
    Commit,
    Abort,
}

/// Requests made through [`TransactionContext`], from the task's `poll` (on the task thread or any other).
#[derive(Default)]
pub struct TransactionRequests(Mutex<Requested>);

#[derive(Default)]
struct Requested {
    commit_batch: bool,
    abort_batch: bool,
    commit_on: Vec<SourceRecord>,
    abort_on: Vec<SourceRecord>,
}

/// Removes `record` from `records`; true if it was there.
fn take(records: &mut Vec<SourceRecord>, record: &SourceRecord) -> bool {
    match records.iter().position(|r| r == record) {
        Some(i) => {
            records.swap_remove(i);
            true
        }
        None => false,
    }
}

fn decide(commit: bool, abort: bool, what: &str) -> Result<Option<TransactionEnd>, ConnectError> {
    match (commit, abort) {
        (true, true) => Err(ConnectError::connect(format!(
            "Connector requested both commit and abort of same {what}"
        ))),
        (_, true) => Ok(Some(TransactionEnd::Abort)),
        (true, _) => Ok(Some(TransactionEnd::Commit)),
        _ => Ok(None),
    }
}

impl TransactionRequests {
    fn requested(&self) -> std::sync::MutexGuard<'_, Requested> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// True when some request names a record (the loop then compares each record it sends).
    pub fn names_records(&self) -> bool {
        let r = self.requested();
        !r.commit_on.is_empty() || !r.abort_on.is_empty()
    }

    /// What to do once `record` (as polled) was sent, taking the requests that named it.
    pub fn after_record(
        &self,
        record: &SourceRecord,
    ) -> Result<Option<TransactionEnd>, ConnectError> {
        let mut r = self.requested();
        let commit = take(&mut r.commit_on, record);
        let abort = take(&mut r.abort_on, record);
        decide(commit, abort, "record")
    }

    /// What to do once the batch was sent, taking the requests for it.
    pub fn after_batch(&self) -> Result<Option<TransactionEnd>, ConnectError> {
        let mut r = self.requested();
        let (commit, abort) = (r.commit_batch, r.abort_batch);
        r.commit_batch = false;
        r.abort_batch = false;
        decide(commit, abort, "transaction")
    }
}

impl TransactionContext for TransactionRequests {
    fn commit_transaction(&self) {
        self.requested().commit_batch = true;
    }
    fn commit_transaction_on(&self, record: &SourceRecord) {
        self.requested().commit_on.push(record.clone());
    }
    fn abort_transaction(&self) {
        self.requested().abort_batch = true;
    }
    fn abort_transaction_on(&self, record: &SourceRecord) {
        self.requested().abort_on.push(record.clone());
    }
}

#[cfg(test)]
mod tests {
    use connect_api::data::Value;
    use connect_api::{ConnectRecord, OffsetMap};

    use super::*;

    fn record(seq: u64) -> SourceRecord {
        let mut offset = OffsetMap::new();
        offset.insert("seq".into(), seq.into());
        SourceRecord::new(
            OffsetMap::new(),
            offset,
            ConnectRecord::new("t", None, Value::from(format!("v{seq}"))),
        )
    }

    #[test]
    fn requests_are_taken_once_by_the_record_or_batch_they_name() {
        let requests = TransactionRequests::default();
        assert!(!requests.names_records());
        requests.commit_transaction_on(&record(3));
        requests.abort_transaction_on(&record(5));
        assert!(requests.names_records());
        assert_eq!(requests.after_record(&record(1)).unwrap(), None);
        assert_eq!(
            requests.after_record(&record(3)).unwrap(),
            Some(TransactionEnd::Commit)
        );
        assert_eq!(requests.after_record(&record(3)).unwrap(), None);
        assert_eq!(
            requests.after_record(&record(5)).unwrap(),
            Some(TransactionEnd::Abort)
        );
        assert!(!requests.names_records());

        assert_eq!(requests.after_batch().unwrap(), None);
        requests.abort_transaction();
        assert_eq!(requests.after_batch().unwrap(), Some(TransactionEnd::Abort));
        assert_eq!(requests.after_batch().unwrap(), None);
    }

    #[test]
    fn commit_and_abort_of_the_same_transaction_is_an_error() {
        let requests = TransactionRequests::default();
        requests.commit_transaction_on(&record(7));
        requests.abort_transaction_on(&record(7));
        let err = requests.after_record(&record(7)).unwrap_err();
        assert!(
            err.to_string()
                .contains("Connector requested both commit and abort of same record"),
            "{err}"
        );
        requests.commit_transaction();
        requests.abort_transaction();
        assert!(requests.after_batch().is_err());
    }
}
