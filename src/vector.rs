//! Which vector instructions the byte searches use: the widest the processor has, chosen at
//! run time (the binary is built for the x86_64 baseline), and each named so that tests can
//! run every version the processor can.

/// The vector instructions a search may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Vector {
    /// AVX-512 BW (with F): 64 bytes to an instruction.
    Avx512,
    /// AVX2: 32 bytes.
    Avx2,
    /// What every processor of the target has (SSE2 on x86_64, words elsewhere).
    Base,
}

impl Vector {
    /// The widest this processor has.
    pub fn best() -> Vector {
        #[cfg(target_arch = "x86_64")]
        {
            if std::is_x86_feature_detected!("avx512bw") {
                return Vector::Avx512;
            }
            if std::is_x86_feature_detected!("avx2") {
                return Vector::Avx2;
            }
        }
        Vector::Base
    }

    /// Every version this processor can run, narrowest first.
    #[cfg(test)]
    pub fn all() -> Vec<Vector> {
        let best = Vector::best();
        [Vector::Base, Vector::Avx2, Vector::Avx512]
            .into_iter()
            .filter(|v| match best {
                Vector::Avx512 => true,
                Vector::Avx2 => *v != Vector::Avx512,
                Vector::Base => *v == Vector::Base,
            })
            .collect()
    }
}
