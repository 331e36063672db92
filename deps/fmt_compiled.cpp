// fmt's out-of-line part, compiled once for the whole tree.
//
// Debian ships fmt as headers plus a shared library only. Header-only mode
// (FMT_HEADER_ONLY) compiles format-inl.h into every file that includes
// <fmt/format.h>, about 5 s of CPU each at -O2, and our programs take no
// shared libfmt (cmake/Dependencies.cmake says why). So every file of ours
// includes fmt in its ordinary, library mode, and this one file provides what
// the library would: the FMT_FUNC definitions of format-inl.h, emitted here as
// ordinary functions, and the templates <fmt/format.h> declares extern.
#include <fmt/format-inl.h>

FMT_BEGIN_NAMESPACE
namespace detail {

// Declared `extern template` in <fmt/format.h>: instantiated here once.
template FMT_API auto thousands_sep_impl<char>(locale_ref) -> thousands_sep_result<char>;
template FMT_API auto thousands_sep_impl<wchar_t>(locale_ref) -> thousands_sep_result<wchar_t>;
template FMT_API auto decimal_point_impl(locale_ref) -> char;
template FMT_API auto decimal_point_impl(locale_ref) -> wchar_t;

// Used from headers without a definition there.
template FMT_API auto dragonbox::to_decimal(float x) noexcept -> dragonbox::decimal_fp<float>;
template FMT_API auto dragonbox::to_decimal(double x) noexcept -> dragonbox::decimal_fp<double>;
template FMT_API locale_ref::locale_ref(const std::locale& loc);
template FMT_API auto locale_ref::get<std::locale>() const -> std::locale;
template FMT_API void vformat_to(buffer<char>&, string_view,
                                 basic_format_args<FMT_BUFFER_CONTEXT(char)>, locale_ref);
template FMT_API void vformat_to(buffer<wchar_t>&, basic_string_view<wchar_t>,
                                 basic_format_args<buffer_context<wchar_t>>, locale_ref);

}  // namespace detail
FMT_END_NAMESPACE
