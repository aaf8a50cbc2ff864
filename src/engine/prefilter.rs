//! Sound literal prefilter (Aho-Corasick) over the literals each rule requires.
