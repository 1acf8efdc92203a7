#include "common/status.h"

namespace streamhost {

Status Status::fromAbi(sh_status_t code, std::string message, std::string field) {
  StatusCode c;
  switch (code) {
    case SH_OK: return Status();
    case SH_ERR_INVALID_ARGUMENT: c = StatusCode::kInvalidArgument; break;
    case SH_ERR_INVALID_CONFIG: c = StatusCode::kInvalidConfig; break;
    case SH_ERR_NOT_FOUND: c = StatusCode::kNotFound; break;
    case SH_ERR_UNSUPPORTED: c = StatusCode::kUnsupported; break;
    case SH_ERR_INVALID_STATE: c = StatusCode::kInvalidState; break;
    case SH_ERR_TRANSIENT: c = StatusCode::kTransient; break;
    case SH_ERR_BACKPRESSURE: c = StatusCode::kBackpressure; break;
    case SH_ERR_BUSY: c = StatusCode::kBusy; break;
    case SH_ERR_FATAL: c = StatusCode::kFatal; break;
    default:
      // Unknown codes fall into the range they belong to.
      if (code <= -100 && code > -200) {
        c = StatusCode::kTransient;
      } else if (code <= -200 && code > -300) {
        c = StatusCode::kFatal;
      } else if (code < 0 && code > -100) {
        c = StatusCode::kInvalidArgument;
      } else {
        c = StatusCode::kInternal;
      }
  }
  if (message.empty()) {
    message = sh_status_name(code);
  }
  return Status(c, std::move(message), std::move(field));
}

const char* statusCodeName(StatusCode code) {
  switch (code) {
    case StatusCode::kOk: return "OK";
    case StatusCode::kInvalidArgument: return "INVALID_ARGUMENT";
    case StatusCode::kInvalidConfig: return "INVALID_CONFIG";
    case StatusCode::kNotFound: return "NOT_FOUND";
    case StatusCode::kUnsupported: return "UNSUPPORTED";
    case StatusCode::kInvalidState: return "INVALID_STATE";
    case StatusCode::kTransient: return "TRANSIENT";
    case StatusCode::kBackpressure: return "BACKPRESSURE";
    case StatusCode::kBusy: return "BUSY";
    case StatusCode::kFatal: return "FATAL";
    case StatusCode::kInternal: return "INTERNAL";
    case StatusCode::kAlreadyExists: return "ALREADY_EXISTS";
    case StatusCode::kConflict: return "CONFLICT";
    case StatusCode::kUnauthenticated: return "UNAUTHENTICATED";
    case StatusCode::kPermissionDenied: return "PERMISSION_DENIED";
    case StatusCode::kGone: return "GONE";
    case StatusCode::kNotImplemented: return "NOT_IMPLEMENTED";
  }
  return "UNKNOWN";
}

std::string Status::toString() const {
  std::string s = statusCodeName(code_);
  if (!message_.empty()) {
    s += ": " + message_;
  }
  if (!field_.empty()) {
    s += " (field " + field_ + ")";
  }
  return s;
}

}  // namespace streamhost
