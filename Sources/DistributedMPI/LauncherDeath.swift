#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CMPI

/// Ends an MPI rank together with its launcher. When mpirun is killed (SIGKILL, a second Ctrl-C,
/// SIGQUIT) it cannot take its ranks down; without this they trained on for seconds, writing
/// checkpoints into a folder that a restarted run was already resuming from. The kernel's
/// parent-death signal (SIGKILL) ends the rank the moment its parent — mpirun, orted or slurmstepd,
/// whichever started it — exits, however it exits; the rank then never writes again, and what it
/// wrote is whole (every file is written atomically). Armed before `MPI_Init`, and checked once
/// after, for a launcher that died while it was being armed. Where it cannot be armed (not Linux,
/// or `prctl` refused) the rank says so once and runs on: the run folder's lock (`FolderLock`)
/// still keeps a new run from writing beside it.
enum LauncherDeath {
    static func armParentDeathSignal() {
        let parent = getppid()
        switch cmpi_kill_with_parent() {
        case 0:
            break
        case 1:
            return   // not Linux: nothing to arm
        default:
            let reason = String(cString: strerror(errno))
            let line = Array("warning: cannot ask to be stopped with the launcher (prctl PR_SET_PDEATHSIG: \(reason)); this rank may outlive a killed mpirun\n".utf8)
            _ = line.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
            return
        }
        // Orphaned between the two calls: the signal was armed too late to come. (A parent that is
        // pid 1 is no proof of that: in a container mpirun itself may be pid 1.)
        if getppid() != parent {
            kill(getpid(), SIGKILL)
            _exit(137)   // only if the kill itself failed: the rank must not go on
        }
    }
}
