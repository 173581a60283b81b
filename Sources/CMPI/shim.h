// OpenMPI defines its handles (MPI_COMM_WORLD, MPI_FLOAT, ...) as macros taking the address of
// global structs, which Swift cannot import. These getters hand them to Swift as ordinary values.
#include <mpi.h>
#include <stdio.h>

static inline MPI_Comm cmpi_comm_world(void) { return MPI_COMM_WORLD; }
static inline MPI_Datatype cmpi_float(void) { return MPI_FLOAT; }
static inline MPI_Datatype cmpi_double(void) { return MPI_DOUBLE; }
static inline MPI_Datatype cmpi_uint64(void) { return MPI_UINT64_T; }
static inline MPI_Datatype cmpi_byte(void) { return MPI_BYTE; }
static inline MPI_Op cmpi_op_sum(void) { return MPI_SUM; }
static inline MPI_Op cmpi_op_max(void) { return MPI_MAX; }
static inline void *cmpi_in_place(void) { return MPI_IN_PLACE; }
static inline MPI_Status *cmpi_status_ignore(void) { return MPI_STATUS_IGNORE; }
static inline int cmpi_success(void) { return MPI_SUCCESS; }
static inline int cmpi_thread_funneled(void) { return MPI_THREAD_FUNNELED; }
static inline int cmpi_max_error_string(void) { return MPI_MAX_ERROR_STRING; }
static inline MPI_Errhandler cmpi_errors_return(void) { return MPI_ERRORS_RETURN; }
static inline int cmpi_thread_serialized(void) { return MPI_THREAD_SERIALIZED; }
static inline int cmpi_max_processor_name(void) { return MPI_MAX_PROCESSOR_NAME; }
static inline MPI_Request cmpi_request_null(void) { return MPI_REQUEST_NULL; }

// stdio's `stdout` is a C global, which Swift 6 refuses to touch (shared mutable state).
// Under mpirun a rank's stdout is a pipe, so stdio buffers whole blocks; line buffering lets
// progress lines through as they are written.
static inline int cmpi_line_buffer_stdout(void) { return setvbuf(stdout, NULL, _IOLBF, 0); }

// prctl(2) is variadic, which Swift cannot call. A rank asks the kernel to kill it when the process
// that started it (mpirun, orted, slurmstepd) dies, so that no rank trains on, and writes checkpoints,
// after its launcher is gone. 0 when armed, -1 with errno when prctl failed; Linux only, elsewhere
// it reports that it did nothing (1).
#ifdef __linux__
#include <sys/prctl.h>
#include <signal.h>
static inline int cmpi_kill_with_parent(void) { return prctl(PR_SET_PDEATHSIG, (unsigned long)SIGKILL) == 0 ? 0 : -1; }
#else
static inline int cmpi_kill_with_parent(void) { return 1; }
#endif
