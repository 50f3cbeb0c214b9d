//! dstack event log replay (in progress).
