#include "event_queue.h"

#include <chrono>

namespace rp {
namespace {

// Events still queued after this long are written without waiting for a
// full batch: a program that idles has its trace caught up.
constexpr auto kIdleFlush = std::chrono::milliseconds(100);

size_t mem_bytes(const Event& e) {
  size_t n = e.extra.size();
  for (const auto& m : e.mem) n += m.bytes.size();
  return n;
}

}  // namespace

EventQueue::~EventQueue() {
  try {
    finish();
  } catch (...) {
  }
}

void EventQueue::start() {
  if (thread_.joinable()) return;
  stop_ = false;
  thread_ = std::thread([this] { run(); });
}

void EventQueue::add(Event&& e) {
  if (!thread_.joinable()) {
    auto lk = lock_writer();
    w_.add_event(e);
    return;
  }
  std::unique_lock<std::mutex> lk(m_);
  space_.wait(lk, [&] {
    return error_ || (queued_.size() < kMaxEvents && bytes_ < kMaxBytes);
  });
  if (error_) std::rethrow_exception(error_);
  bytes_ += mem_bytes(e);
  queued_.push_back(std::move(e));
  if (batch_ready()) work_.notify_one();
}

void EventQueue::run() {
  std::vector<Event> batch;
  std::unique_lock<std::mutex> lk(m_);
  for (;;) {
    work_.wait_for(lk, kIdleFlush, [&] { return stop_ || batch_ready(); });
    if (queued_.empty()) {
      if (stop_) return;
      continue;
    }
    batch.swap(queued_);
    bytes_ = 0;
    space_.notify_all();
    lk.unlock();
    std::exception_ptr err;
    {
      auto w = lock_writer();
      try {
        for (const auto& e : batch) w_.add_event(e);
      } catch (...) {
        err = std::current_exception();
      }
    }
    batch.clear();
    lk.lock();
    if (err) {
      error_ = err;  // the tracer sees it at its next add() or finish()
      queued_.clear();
      space_.notify_all();
      return;
    }
  }
}

void EventQueue::finish() {
  if (thread_.joinable()) {
    {
      std::lock_guard<std::mutex> lk(m_);
      stop_ = true;
    }
    work_.notify_one();
    thread_.join();
  }
  std::exception_ptr err;
  std::swap(err, error_);
  if (err) std::rethrow_exception(err);
}

}  // namespace rp
