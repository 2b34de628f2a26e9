// The ptrace backend's events go to the trace from a thread of their own.
// Every syscall stops the program twice and rp must answer each stop before
// the program runs on; the SQLite insert (and hashing and compressing large
// buffers) need not be part of that answer. The tracer hands each event over
// and resumes the program; the writer thread inserts events in batches,
// woken once per batch rather than per event. Nothing is dropped: a tracer
// that gets too far ahead waits for the writer.
#pragma once
#include <condition_variable>
#include <cstddef>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

#include "trace.h"

namespace rp {

class EventQueue {
 public:
  explicit EventQueue(TraceWriter& w) : w_(w) {}
  ~EventQueue();  // finish(), its error dropped (an exception is on its way already)
  EventQueue(const EventQueue&) = delete;
  EventQueue& operator=(const EventQueue&) = delete;

  // Starts the writer thread; until then (and after finish) add() writes at once.
  void start();
  // Queues e. Throws the writer thread's error (disk full, ...) if it had one.
  void add(Event&& e);
  // For any other use of the TraceWriter while the writer thread runs.
  std::unique_lock<std::mutex> lock_writer() { return std::unique_lock<std::mutex>(writer_m_); }
  // Writes what is queued, ends the thread, rethrows its error if any.
  void finish();

  // Queue limits (events, bytes of memory records): a batch wakes the writer,
  // the maximum makes the tracer wait.
  static constexpr size_t kBatchEvents = 256, kBatchBytes = 4 << 20;
  static constexpr size_t kMaxEvents = 16384, kMaxBytes = 64 << 20;

 private:
  void run();
  bool batch_ready() const { return queued_.size() >= kBatchEvents || bytes_ >= kBatchBytes; }

  TraceWriter& w_;
  std::mutex writer_m_;  // held while the TraceWriter is in use
  std::mutex m_;         // the fields below
  std::condition_variable work_, space_;
  std::vector<Event> queued_;
  size_t bytes_ = 0;
  bool stop_ = false;
  std::exception_ptr error_;
  std::thread thread_;
};

}  // namespace rp
