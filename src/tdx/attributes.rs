//! TD attributes (TDX Module ABI 348551-008US, table 3.23), decoded bit by bit.

/// TD attributes as the TDX module reports them (64 bits, little-endian in the quote).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TdAttributes(pub u64);

/// Bit 0: the TD runs in debug mode; the host can read its memory and registers.
pub const DEBUG: u64 = 1 << 0;
/// Bits 4..=6: TUD profiling features (untrusted, like DEBUG).
pub const TUD_PROFILING: u64 = 0b111 << 4;
/// Bit 16: instruction-count based single-step defence.
pub const ICSSD: u64 = 1 << 16;
/// Bit 17: a hash of the service-TD binding is included in the report.
pub const SERVTD_EXT: u64 = 1 << 17;
/// Bit 27: linear address space separation.
pub const LASS: u64 = 1 << 27;
/// Bit 28: EPT violations on pending pages are not converted to #VE.
pub const SEPT_VE_DISABLE: u64 = 1 << 28;
/// Bit 29: the TD can be migrated by a migration TD.
pub const MIGRATABLE: u64 = 1 << 29;
/// Bit 30: supervisor protection keys.
pub const PKS: u64 = 1 << 30;
/// Bit 31: key locker (reserved since ABI -008).
pub const KL: u64 = 1 << 31;
/// Bit 62: TDX Connect provisioning agent.
pub const TPA: u64 = 1 << 62;
/// Bit 63: perfmon.
pub const PERFMON: u64 = 1 << 63;
/// Bits the ABI requires verifiers to reject when set: 1–3, 7–15, 23–26, 32–61.
pub const RESERVED_MBZ: u64 =
    (0b111 << 1) | (0x1ff << 7) | (0b1111 << 23) | (((1u64 << 30) - 1) << 32);

const NAMED: &[(u64, &str)] = &[
    (DEBUG, "DEBUG"),
    (1 << 4, "TUD_PROFILING_4"),
    (1 << 5, "TUD_PROFILING_5"),
    (1 << 6, "TUD_PROFILING_6"),
    (ICSSD, "ICSSD"),
    (SERVTD_EXT, "SERVTD_EXT"),
    (LASS, "LASS"),
    (SEPT_VE_DISABLE, "SEPT_VE_DISABLE"),
    (MIGRATABLE, "MIGRATABLE"),
    (PKS, "PKS"),
    (KL, "KL"),
    (TPA, "TPA"),
    (PERFMON, "PERFMON"),
];

impl TdAttributes {
    /// From the 8 little-endian bytes of the report.
    pub fn from_bytes(bytes: [u8; 8]) -> Self {
        TdAttributes(u64::from_le_bytes(bytes))
    }
    /// True if `mask` bits are all set.
    pub fn has(self, mask: u64) -> bool {
        self.0 & mask == mask
    }
    /// The TD is in debug mode (DEBUG or any TUD profiling bit).
    pub fn is_debug(self) -> bool {
        self.0 & (DEBUG | TUD_PROFILING) != 0
    }
    /// Reserved must-be-zero bits that are set.
    pub fn reserved_set(self) -> u64 {
        self.0 & RESERVED_MBZ
    }
    /// Names of the set bits, reserved bits as `RESERVED_<n>`.
    pub fn names(self) -> Vec<String> {
        let mut out: Vec<String> = NAMED
            .iter()
            .filter(|(m, _)| self.0 & m != 0)
            .map(|(_, n)| (*n).to_owned())
            .collect();
        for bit in 0..64u32 {
            let m = 1u64 << bit;
            if self.0 & m != 0 && !NAMED.iter().any(|(n, _)| *n == m) {
                out.push(format!("RESERVED_{bit}"));
            }
        }
        out
    }
    /// Hex of the value as a big-endian 64-bit number (how Intel tools print it).
    pub fn to_hex(self) -> String {
        format!("{:016x}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reserved_mask_matches_the_abi_defined_bits() {
        let defined = [
            0u32, 4, 5, 6, 16, 17, 18, 19, 20, 21, 22, 27, 28, 29, 30, 31, 62, 63,
        ];
        for bit in 0..64 {
            assert_eq!(
                RESERVED_MBZ & (1 << bit) == 0,
                defined.contains(&bit),
                "bit {bit}"
            );
        }
    }

    #[test]
    fn decodes_linux_td_attributes() {
        let a = TdAttributes::from_bytes([0, 0, 0, 0x10, 0, 0, 0, 0]);
        assert!(a.has(SEPT_VE_DISABLE) && !a.is_debug());
        assert_eq!(a.names(), vec!["SEPT_VE_DISABLE"]);
        assert_eq!(a.to_hex(), "0000000010000000");
        assert!(TdAttributes(1 << 5).is_debug());
        assert_eq!(TdAttributes(1 << 40).names(), vec!["RESERVED_40"]);
    }
}
