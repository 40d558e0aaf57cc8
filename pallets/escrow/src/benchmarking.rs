//! Benchmarks of every call in its worst case: the most pending records, the most units, a
//! settlement that pays every pending record and the fixed rate.
