//! Following files as they grow, rotate and shrink (notify, with a polling fallback).
