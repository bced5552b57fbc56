// A writer-preferring reader-writer lock on pthread_rwlock_t, usable with
// std::unique_lock and std::shared_lock.
//
// Why not std::shared_mutex: on glibc it prefers readers, so a steady stream
// of overlapping requests can starve a writer forever. Why not absl::Mutex:
// Debian's Abseil is built without ThreadSanitizer annotations, so TSan cannot
// see its happens-before edges and reports false races; TSan does intercept
// pthread rwlocks.
//
// Not recursive: a thread holding a shared lock must not take it again while a
// writer may be waiting.
#ifndef INVITEGRAPH_INTERNAL_RW_LOCK_H_
#define INVITEGRAPH_INTERNAL_RW_LOCK_H_

#include <pthread.h>

namespace invitegraph::internal {

class RwLock {
 public:
  RwLock() {
    pthread_rwlockattr_t attr;
    pthread_rwlockattr_init(&attr);
#if defined(__GLIBC__)
    pthread_rwlockattr_setkind_np(&attr,
                                  PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
#endif
    pthread_rwlock_init(&lock_, &attr);
    pthread_rwlockattr_destroy(&attr);
  }
  ~RwLock() { pthread_rwlock_destroy(&lock_); }
  RwLock(const RwLock&) = delete;
  RwLock& operator=(const RwLock&) = delete;

  void lock() { pthread_rwlock_wrlock(&lock_); }
  void unlock() { pthread_rwlock_unlock(&lock_); }
  void lock_shared() { pthread_rwlock_rdlock(&lock_); }
  void unlock_shared() { pthread_rwlock_unlock(&lock_); }

 private:
  pthread_rwlock_t lock_;
};

}  // namespace invitegraph::internal

#endif  // INVITEGRAPH_INTERNAL_RW_LOCK_H_
