// Replay decodes each recorded event from SQLite (about 450 ns on these
// machines) and then replays it (in the program, by the agent, often in
// less): reading on threads of their own overlaps the two, on another CPU
// than the run loop, which shares the program's (docs/performance.md).
#pragma once
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

namespace rp {

// Runs body on a new thread that starts with every signal blocked (they stay
// with the threads that handle them: the run loop's SIGCHLD, SIGINT) and
// without the rdtsc and cpuid traps of the thread that started it.
std::thread start_reader_thread(std::function<void()> body);

// What an item holds in memory: in all, and in payloads copied out of the
// trace (a recorded read's bytes), which have a bound of their own.
struct AheadBytes {
  size_t held = 0, payload = 0;
};

// Items of T from `source`, called on a thread of its own until it returns
// false or throws, at most a few MiB (by `bytes`) ahead of next().
template <typename T>
class ReadAhead {
 public:
  using Source = std::function<bool(T&)>;
  using Bytes = AheadBytes (*)(const T&);
  ReadAhead(Source source, Bytes bytes) : source_(std::move(source)), bytes_(bytes) {
    thread_ = start_reader_thread([this] { run(); });
  }
  ~ReadAhead() {  // stops and joins the thread, wherever it is
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    room_cv_.notify_one();
    thread_.join();
  }
  ReadAhead(const ReadAhead&) = delete;
  ReadAhead& operator=(const ReadAhead&) = delete;


  // The items `source` gave, in order; then false for ever, or, where the
  // source threw, that exception (once, after the items before it).
  bool next(T& x) {
    while (pos_ == cur_.items.size()) {
      if (ended_) return false;
      if (cur_.last) {
        ended_ = true;
        if (cur_.error) std::rethrow_exception(cur_.error);
        return false;
      }
      take_batch();
    }
    x = std::move(cur_.items[pos_++]);
    return true;
  }

 private:
  // A batch is handed over at this many items or bytes: one lock and at
  // most one wake-up per batch, not per item (a wake-up on another CPU
  // costs ~10 us on these VMs). The reader waits while this many bytes are
  // ready and not taken: enough to read on while replay starts the program
  // and scans the trace (rp replay's first 0.2 s with 2 million events).
  // Payloads have a smaller bound: a reader ahead of the program by 64 MiB
  // of 64 KiB reads only makes the process fault in pages it would not need
  // (replay of such reads 0.72 s with that bound, 0.60 s with 8 MiB; a
  // getppid loop's replay is slower with a bound of 8 MiB on everything,
  // docs/performance.md "Read-ahead of large outputs").
  static constexpr size_t kBatchItems = 1024, kBatchBytes = 1 << 20;
  static constexpr size_t kAheadBytes = 64 << 20, kAheadPayloadBytes = 8 << 20;
  struct Batch {
    std::vector<T> items;
    size_t bytes = 0, payload = 0;
    std::exception_ptr error;
    bool last = false;
  };

  void run() {
    try {
      for (Batch b;;) {
        try {
          T x{};
          b.last = !source_(x);
          if (!b.last) {
            if (b.items.empty()) b.items.reserve(kBatchItems);
            const AheadBytes n = bytes_(x);
            b.bytes += n.held;
            b.payload += n.payload;
            b.items.push_back(std::move(x));
          }
        } catch (...) {
          b.error = std::current_exception();
          b.last = true;
        }
        if (b.last) return void(hand_over(b));
        if ((b.items.size() >= kBatchItems || b.bytes >= kBatchBytes) && !hand_over(b)) return;
      }
    } catch (...) {  // queueing failed (out of memory): said instead of what is left
      std::lock_guard<std::mutex> lock(mu_);
      failed_ = std::current_exception();
    }
    ready_cv_.notify_one();
  }

  // Queues b (and leaves it empty) once there is room; false if the reader
  // is being stopped.
  bool hand_over(Batch& b) {
    std::unique_lock<std::mutex> lock(mu_);
    room_cv_.wait(lock, [&] {
      return stop_ || ready_.empty() ||
             (ready_bytes_ + b.bytes <= kAheadBytes &&
              ready_payload_ + b.payload <= kAheadPayloadBytes);
    });
    if (stop_) return false;
    ready_.push_back(std::move(b));
    ready_bytes_ += ready_.back().bytes;
    ready_payload_ += ready_.back().payload;
    b = Batch{};
    lock.unlock();
    ready_cv_.notify_one();
    return true;
  }

  void take_batch() {
    {
      std::unique_lock<std::mutex> lock(mu_);
      ready_cv_.wait(lock, [&] { return !ready_.empty() || failed_; });
      if (ready_.empty()) {
        ended_ = true;
        std::rethrow_exception(failed_);
      }
      cur_ = std::move(ready_.front());
      ready_.pop_front();
      ready_bytes_ -= cur_.bytes;
      ready_payload_ -= cur_.payload;
    }
    room_cv_.notify_one();
    pos_ = 0;
  }

  Source source_;
  Bytes bytes_;
  std::mutex mu_;
  std::condition_variable ready_cv_, room_cv_;
  std::deque<Batch> ready_;  // under mu_
  size_t ready_bytes_ = 0;   // under mu_
  size_t ready_payload_ = 0; // under mu_
  bool stop_ = false;        // under mu_
  std::exception_ptr failed_;  // under mu_: the reader could not queue a batch
  Batch cur_;                // the consumer's
  size_t pos_ = 0;
  bool ended_ = false;
  std::thread thread_;
};

}  // namespace rp
