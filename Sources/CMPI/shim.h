// Open MPI's C API for DescentDistributed. Open MPI spells its handles (MPI_COMM_WORLD,
// MPI_FLOAT, MPI_SUM, MPI_IN_PLACE, MPI_ERRORS_RETURN) as macros over casts of global
// objects, which Swift cannot import; the inline functions below hand them to Swift.
#ifndef DESCENT_CMPI_SHIM_H
#define DESCENT_CMPI_SHIM_H
#include <mpi.h>

static inline MPI_Comm descent_mpi_comm_world(void) { return MPI_COMM_WORLD; }
static inline MPI_Comm descent_mpi_comm_null(void) { return MPI_COMM_NULL; }
static inline MPI_Datatype descent_mpi_float(void) { return MPI_FLOAT; }
static inline MPI_Datatype descent_mpi_double(void) { return MPI_DOUBLE; }
static inline MPI_Datatype descent_mpi_int64(void) { return MPI_INT64_T; }
static inline MPI_Datatype descent_mpi_byte(void) { return MPI_BYTE; }
static inline MPI_Op descent_mpi_sum(void) { return MPI_SUM; }
static inline MPI_Op descent_mpi_max(void) { return MPI_MAX; }
static inline void *descent_mpi_in_place(void) { return MPI_IN_PLACE; }
static inline MPI_Errhandler descent_mpi_errors_return(void) { return MPI_ERRORS_RETURN; }
static inline int descent_mpi_success(void) { return MPI_SUCCESS; }
static inline int descent_mpi_max_error_string(void) { return MPI_MAX_ERROR_STRING; }
static inline int descent_mpi_thread_serialized(void) { return MPI_THREAD_SERIALIZED; }

#endif
