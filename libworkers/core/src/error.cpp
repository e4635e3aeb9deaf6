#include "workers/error.hpp"

#include <caf/make_message.hpp>
#include <caf/message.hpp>
#include <caf/sec.hpp>

#include <chrono>

namespace workers {

const char* to_string(errc x) {
  switch (x) {
  case errc::none:
    return "none";
  case errc::no_such_object:
    return "no_such_object";
  case errc::object_gone:
    return "object_gone";
  case errc::not_a_holder:
    return "not_a_holder";
  case errc::location_mismatch:
    return "location_mismatch";
  case errc::shape_mismatch:
    return "shape_mismatch";
  case errc::dtype_mismatch:
    return "dtype_mismatch";
  case errc::bad_axis:
    return "bad_axis";
  case errc::bad_argument:
    return "bad_argument";
  case errc::wrong_kind:
    return "wrong_kind";
  case errc::already_taken:
    return "already_taken";
  case errc::peer_unreachable:
    return "peer_unreachable";
  case errc::timeout:
    return "timeout";
  case errc::capacity_exceeded:
    return "capacity_exceeded";
  case errc::duplicate_id:
    return "duplicate_id";
  case errc::not_permitted:
    return "not_permitted";
  }
  return "unknown";
}

caf::error make_error(errc code, std::string what) {
  return caf::error{static_cast<uint8_t>(code), error_category,
                    caf::make_message(std::move(what))};
}

bool is(const caf::error& err, errc code) {
  // Note: CAF 0.17's error::category() crashes on an empty error.
  return err && err.category() == error_category &&
         err.code() == static_cast<uint8_t>(code);
}

std::string render(const caf::error& err) {
  if (!err)
    return "none";
  std::string result;
  auto& ctx = err.context();
  if (err.category() == error_category) {
    result = to_string(static_cast<errc>(err.code()));
    if (ctx.match_elements<std::string>()) {
      result += ": ";
      result += ctx.get_as<std::string>(0);
    }
    return result;
  }
  // Errors of CAF itself (timeouts, dead actors, ...).
  if (err.category() == caf::atom("system")) {
    auto code = static_cast<caf::sec>(err.code());
    result = "caf::";
    result += to_string(code);
  } else {
    result = to_string(err.category());
    result += ':';
    result += std::to_string(err.code());
  }
  if (!ctx.empty()) {
    result += ": ";
    result += to_string(ctx);
  }
  return result;
}

std::string message_of(const caf::error& err) {
  if (!err)
    return "none";
  auto& ctx = err.context();
  if (err.category() == error_category && ctx.match_elements<std::string>())
    return ctx.get_as<std::string>(0);
  return render(err);
}

caf::error with_context(const caf::error& err, const std::string& context) {
  auto ours = err && err.category() == error_category;
  auto code = ours ? static_cast<errc>(err.code()) : errc::bad_argument;
  return make_error(code, context + ": " + message_of(err));
}

caf::error from_transport(const caf::error& err, const std::string& peer,
                          caf::timespan timeout) {
  if (!err || err.category() != caf::atom("system"))
    return err;
  switch (static_cast<caf::sec>(err.code())) {
  case caf::sec::request_timeout: {
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(timeout);
    return make_error(errc::timeout, "no answer from " + peer + " within " +
                                       std::to_string(ms.count()) + " ms");
  }
  case caf::sec::request_receiver_down:
    return make_error(errc::peer_unreachable,
                      "worker " + peer + " is not running");
  default:
    return make_error(errc::peer_unreachable,
                      "cannot reach worker " + peer + ": " + render(err));
  }
}

operation_error::operation_error(caf::error err)
  : std::runtime_error(render(err)), err_(std::move(err)) {
  // nop
}

} // namespace workers
