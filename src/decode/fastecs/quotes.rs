//! The quote and backslash bitmap of a line, built 64 bytes at a time with the widest vector
//! instructions the processor has (AVX-512, AVX2, or plain word arithmetic elsewhere).

use crate::vector::Vector;

/// Mark where the quotes and backslashes of `b` are: bit `k` of word `w` stands for byte
/// `64 * w + k`. `None` when any byte is below 0x20 (which the reader declines anyway).
/// Looking for the end of a string is then a few bit operations, however short it is.
pub(super) fn mark_quotes(b: &[u8], marks: &mut Vec<u64>) -> Option<()> {
    mark_quotes_with(b, marks, Vector::best())
}

/// [`mark_quotes`] with the vector instructions `v` (which the processor must have).
pub(super) fn mark_quotes_with(b: &[u8], marks: &mut Vec<u64>, v: Vector) -> Option<()> {
    #[cfg(not(target_arch = "x86_64"))]
    let _ = v;
    marks.clear();
    marks.reserve(b.len() / 64 + 1);
    #[cfg(target_arch = "x86_64")]
    if v == Vector::Avx512 {
        // SAFETY: the caller vouches for AVX-512 BW.
        let control = unsafe { mark_quotes_avx512(b, marks) };
        return (!control).then_some(());
    }
    let mut control = false;
    let mut blocks = b.chunks_exact(64);
    #[cfg(target_arch = "x86_64")]
    if v == Vector::Avx2 {
        for block in &mut blocks {
            // SAFETY: the caller vouches for AVX2.
            let (m, c) = unsafe { block_marks_avx2(block.try_into().ok()?) };
            marks.push(m);
            control |= c;
        }
    }
    for block in &mut blocks {
        let (m, c) = block_marks(block.try_into().ok()?);
        marks.push(m);
        control |= c;
    }
    let rest = blocks.remainder();
    if !rest.is_empty() {
        // Padded with spaces, which are neither marked nor control bytes.
        let mut pad = [b' '; 64];
        pad[..rest.len()].copy_from_slice(rest);
        let (m, c) = block_marks(&pad);
        marks.push(m);
        control |= c;
    }
    (!control).then_some(())
}

/// The quote/backslash mask of 64 bytes and whether any is below 0x20, sixteen bytes at a
/// time with SSE2 (part of every x86_64 processor): a third of the word-at-a-time cost.
#[cfg(target_arch = "x86_64")]
pub(super) fn block_marks(block: &[u8; 64]) -> (u64, bool) {
    use std::arch::x86_64::*;
    // SAFETY: the intrinsics need SSE2, which the x86_64 baseline guarantees; each load reads
    // sixteen bytes of `block`, with no alignment needed.
    unsafe {
        let quote = _mm_set1_epi8(b'"' as i8);
        let backslash = _mm_set1_epi8(b'\\' as i8);
        let below = _mm_set1_epi8(0x1f);
        let mut marks = 0u64;
        let mut control = _mm_setzero_si128();
        for (k, c) in block.chunks_exact(16).enumerate() {
            let x = _mm_loadu_si128(c.as_ptr().cast());
            let hit = _mm_or_si128(_mm_cmpeq_epi8(x, quote), _mm_cmpeq_epi8(x, backslash));
            marks |= (_mm_movemask_epi8(hit) as u32 as u64) << (16 * k);
            // x <= 0x1f exactly when min(x, 0x1f) == x (unsigned).
            control = _mm_or_si128(control, _mm_cmpeq_epi8(_mm_min_epu8(x, below), x));
        }
        (marks, _mm_movemask_epi8(control) != 0)
    }
}

/// [`block_marks`] thirty-two bytes at a time, for processors with AVX2.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
pub(super) fn block_marks_avx2(block: &[u8; 64]) -> (u64, bool) {
    use std::arch::x86_64::*;
    // SAFETY: `block` is 64 readable bytes, two unaligned 32-byte loads.
    let (lo, hi) = unsafe {
        (
            _mm256_loadu_si256(block.as_ptr().cast()),
            _mm256_loadu_si256(block.as_ptr().add(32).cast()),
        )
    };
    let quote = _mm256_set1_epi8(b'"' as i8);
    let backslash = _mm256_set1_epi8(b'\\' as i8);
    let below = _mm256_set1_epi8(0x1f);
    let hit = |x| _mm256_or_si256(_mm256_cmpeq_epi8(x, quote), _mm256_cmpeq_epi8(x, backslash));
    let marks = _mm256_movemask_epi8(hit(lo)) as u32 as u64
        | (_mm256_movemask_epi8(hit(hi)) as u32 as u64) << 32;
    let low = |x| _mm256_cmpeq_epi8(_mm256_min_epu8(x, below), x);
    let control = _mm256_or_si256(low(lo), low(hi));
    (marks, _mm256_movemask_epi8(control) != 0)
}

/// [`mark_quotes`] 64 bytes to an instruction, for processors with AVX-512 BW: whether any
/// byte is below 0x20. (The last block is read with a masked load: no padding copy.)
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512bw")]
pub(super) fn mark_quotes_avx512(b: &[u8], marks: &mut Vec<u64>) -> bool {
    use std::arch::x86_64::*;
    let quote = _mm512_set1_epi8(b'"' as i8);
    let backslash = _mm512_set1_epi8(b'\\' as i8);
    let space = _mm512_set1_epi8(0x20);
    let mut control = 0u64;
    let mut at = 0;
    while at < b.len() {
        let n = (b.len() - at).min(64);
        let keep = u64::MAX >> (64 - n);
        // SAFETY: the masked load reads only the `n` bytes from `at` (in `b`); the others
        // are zero and masked off below.
        let x = unsafe { _mm512_maskz_loadu_epi8(keep, b.as_ptr().add(at).cast()) };
        marks
            .push((_mm512_cmpeq_epi8_mask(x, quote) | _mm512_cmpeq_epi8_mask(x, backslash)) & keep);
        control |= _mm512_cmplt_epu8_mask(x, space) & keep;
        at += 64;
    }
    control != 0
}

/// The position of the first marked byte at or after `j`.
#[inline(always)]
pub(super) fn next_mark(marks: &[u64], j: usize) -> Option<usize> {
    let mut w = j / 64;
    let mut m = *marks.get(w)? & (u64::MAX << (j % 64));
    while m == 0 {
        w += 1;
        m = *marks.get(w)?;
    }
    Some(w * 64 + m.trailing_zeros() as usize)
}

#[cfg(not(target_arch = "x86_64"))]
pub(super) fn block_marks(block: &[u8; 64]) -> (u64, bool) {
    block_marks_swar(block)
}

/// [`block_marks`] eight bytes at a time in a word, for other processors (and as the x86_64
/// version's check).
#[cfg_attr(target_arch = "x86_64", allow(dead_code))]
pub(super) fn block_marks_swar(block: &[u8; 64]) -> (u64, bool) {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    // The high bit of each byte of `x` that is zero (exact for every byte: no carries).
    let zero = |x: u64| !(((x & LOW7) + LOW7) | x) & HIGH;
    let (mut marks, mut control) = (0u64, 0u64);
    for (k, c) in block.chunks_exact(8).enumerate() {
        let w = u64::from_le_bytes(c.try_into().unwrap_or_default());
        let hit = zero(w ^ (ONES * b'"' as u64)) | zero(w ^ (ONES * b'\\' as u64));
        // A byte below 0x20 has neither its high bit nor a carry out of its low seven plus 0x60.
        control |= !(((w & LOW7) + ONES * 0x60) | w) & HIGH;
        // Gather the eight high bits into one byte.
        marks |= ((hit >> 7).wrapping_mul(0x0102_0408_1020_4080) >> 56) << (8 * k);
    }
    (marks, control != 0)
}
