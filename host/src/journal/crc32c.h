#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace streamhost::journal {

/// CRC32C (Castagnoli, reflected 0x82F63B78) of `data`, continuing from `crc`
/// (0 for a fresh checksum). Uses SSE4.2 when the CPU has it, else slicing-by-8.
uint32_t crc32c(uint32_t crc, const void* data, size_t size);

inline uint32_t crc32c(std::string_view data) { return crc32c(0, data.data(), data.size()); }

/// The table-driven implementation, always available; exposed so tests can
/// check it against the hardware path.
uint32_t crc32cPortableForTest(uint32_t crc, const void* data, size_t size);

/// True when crc32c() uses the SSE4.2 instruction on this machine.
bool crc32cHasHardware();

}  // namespace streamhost::journal
