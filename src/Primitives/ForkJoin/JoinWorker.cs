using System.Runtime.CompilerServices;
using Primitives.Internal;

namespace Primitives.ForkJoin;

/// <summary>
/// The per-thread side of <see cref="ForkJoin"/>: each thread that joins owns a work-stealing deque of its
/// pending right-hand sides, registered in a process-wide list that thieves scan.
/// </summary>
/// <remarks>
/// <para><b>Who steals.</b> Pushing a job makes sure up to <c>s_maxStealers</c> stealer work items are
/// active on the thread pool (<see cref="WorkLauncher"/>); a stealer takes the oldest job of any deque,
/// runs it, and exits after a short idle spin. An owner whose job was stolen helps too: it steals and
/// runs other jobs until its own is done, and only then parks on its <see cref="Gate"/>. Stealers are an
/// optimization only: an owner always pops back its own job if nobody took it, so no job is ever
/// stranded, and a join finishes even when the pool gives no thread at all.</para>
/// <para><b>No job missed by a retiring stealer (Dekker).</b> The owner stores (pushes) the deque's
/// <c>_bottom</c>, then loads <c>s_stealers</c> in <see cref="WakeStealers"/>; a retiring stealer decrements
/// <c>s_stealers</c> (Interlocked, a full fence), then loads every <c>_bottom</c> again in its last scan. With
/// a full fence between the owner's store and its load too, one of them sees the other: either the owner sees
/// the freed slot and launches a stealer, or the stealer's last scan sees the job. The owner pays for that
/// fence only when it launches no stealer: a launch takes its slot with a CAS (a full fence after the store)
/// and the new stealer scans after it starts; when every slot looks taken, <c>WakeStealersSlow</c> fences
/// and tries once more. Missing a job here would lose parallelism only, never the job: the owner pops back
/// what nobody stole.</para>
/// <para><b>Registration.</b> Workers are added to <c>s_workers</c> (copy-on-write array, under a lock, on
/// a thread's first join); workers of threads that have exited are dropped at the next registration. A
/// thread's deque is empty whenever it is not inside a join, so a dropped worker holds no job.</para>
/// </remarks>
internal sealed class JoinWorker
{
#if PRIMITIVES_FAULTS
    // Fault build: ResetForSystematicTest sets these three. IdleSpins lives in an array element, which Coyote never
    // turns into a scheduling point.
    private static readonly int[] s_idleSpins = [64];
    private static object s_registrationLock = new();
    private static int s_maxStealers = Math.Max(1, Environment.ProcessorCount - 1);

    private static int IdleSpins => s_idleSpins[0];
#else
    /// <summary>Idle scans before a stealer exits (or an owner parks).</summary>
    private const int IdleSpins = 64;

    private static readonly object s_registrationLock = new();
    private static readonly int s_maxStealers = Math.Max(1, Environment.ProcessorCount - 1);
#endif
    private static readonly Stealer s_stealer = new();
    private static readonly Func<JoinJob, bool> s_isDone = static job => job.IsDone;
    private static JoinWorker[] s_workers = [];
    private static int s_stealers;

    [ThreadStatic]
    private static JoinWorker? t_current;

    private readonly Thread _thread;
    private int _nextVictim;

    private JoinWorker(Thread thread) => _thread = thread;

    /// <summary>This thread's worker, registered on first use.</summary>
    internal static JoinWorker Current
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => t_current ?? Register();
    }

    /// <summary>The deque of this thread's pending right-hand sides.</summary>
    internal WorkStealingDeque Deque { get; } = new();

    /// <summary>The owner parks here when its stolen job is not done and there is nothing to help with.</summary>
    internal WaitGate Gate { get; } = new();

    /// <summary>Owner: after a push, makes sure some thread is looking for jobs to steal (see "No job missed").</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void WakeStealers()
    {
        if (Volatile.Read(ref s_stealers) >= s_maxStealers || !TryLaunchStealer()) // acquire: pairs with the stealers' Decrement; a launch's CAS is the fence
        {
            WakeStealersSlow();
        }
    }

#if PRIMITIVES_FAULTS
    /// <summary>
    /// Fault build only, at the start of a Coyote iteration: forgets every registered worker, stealer slot and the
    /// registration lock (an iteration ends when its body returns, so stealers may be cut short holding a slot, the
    /// lock, or jobs on a deque nobody pops), and fixes the stealer bound (whatever the machine's core count) and the
    /// idle scans before a stealer retires or an owner parks (fewer: shorter iterations, and more retirements and
    /// parks to explore).
    /// </summary>
    internal static void ResetForSystematicTest(int maxStealers, int idleSpins)
    {
        s_idleSpins[0] = idleSpins;
        s_registrationLock = new(); // Coyote refuses a lock that an iteration it cut short still holds
        s_workers = []; // plain: no other thread runs between iterations
        s_stealers = 0;
        s_maxStealers = maxStealers;
        t_current = null;
    }
#endif

    /// <summary>Owner: waits until <paramref name="job"/>, stolen by another thread, is done, running other jobs meanwhile.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    internal void WaitFor(JoinJob job)
    {
        SpinWait spinner = default;
        int idle = 0;
        while (!job.IsDone)
        {
            JoinJob? other = TryStealFromOthers();
            if (other is not null)
            {
                other.RunStolen();
                idle = 0;
            }
            else if (++idle < IdleSpins)
            {
                spinner.SpinOnce(sleep1Threshold: -1); // never Thread.Sleep(1): parking is the next step
            }
            else
            {
                Gate.Wait(s_isDone, job, CancellationToken.None);
            }
        }
    }

    /// <summary>Takes the oldest job of some other thread's deque, scanning from a rotating start.</summary>
    private JoinJob? TryStealFromOthers()
    {
        JoinWorker[] workers = Volatile.Read(ref s_workers); // acquire: pairs with the release store in Register
        int start = _nextVictim++; // plain: this worker's own field, used by its thread only
        for (int i = 0; i < workers.Length; i++)
        {
            JoinWorker victim = workers[(int)((uint)(start + i) % (uint)workers.Length)];
            if (victim != this && !victim.Deque.LooksEmpty)
            {
                JoinJob? job = victim.Deque.TrySteal();
                if (job is not null)
                {
                    return job;
                }
            }
        }

        return null;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static JoinWorker Register()
    {
        var worker = new JoinWorker(Thread.CurrentThread);
        lock (s_registrationLock)
        {
            JoinWorker[] live = Array.FindAll(s_workers, w => w._thread.IsAlive);
            Volatile.Write(ref s_workers, [.. live, worker]); // release: the new worker is fully built before thieves see it
        }

        t_current = worker;
        return worker;
    }

    /// <summary>
    /// Owner: every stealer slot looked taken. Fences the push before looking at the count again, so that a stealer
    /// retiring meanwhile either frees a slot that this look sees, or finds the job in its last scan (Dekker).
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void WakeStealersSlow()
    {
        Interlocked.MemoryBarrier(); // full fence: the push's store of _bottom before the loads of s_stealers below; pairs with the Decrement in Stealer.Execute
        TryLaunchStealer();
    }

    /// <summary>Launches a stealer if a slot is free; false if every slot is taken.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static bool TryLaunchStealer()
    {
        if (!TryAcquireStealerSlot())
        {
            return false;
        }

        WorkLauncher.Launch(s_stealer);
        return true;
    }

    private static bool TryAcquireStealerSlot()
    {
        int stealers = Volatile.Read(ref s_stealers); // acquire: pairs with the CAS below and the decrements on exit
        while (stealers < s_maxStealers)
        {
            int seen = Interlocked.CompareExchange(ref s_stealers, stealers + 1, stealers); // full fence: after the owner's push, pairs with a retiring stealer's Decrement (Dekker)
            if (seen == stealers)
            {
                return true;
            }

            stealers = seen;
        }

        return false;
    }

    /// <summary>The thread-pool work item that steals and runs jobs until it finds none for a while.</summary>
    private sealed class Stealer : IThreadPoolWorkItem
    {
        public void Execute()
        {
            JoinWorker self = Current; // jobs it runs may join, and push onto this thread's own deque
            while (true)
            {
                SpinWait spinner = default;
                int idle = 0;
                while (idle < IdleSpins)
                {
                    JoinJob? job = self.TryStealFromOthers();
                    if (job is not null)
                    {
                        job.RunStolen();
                        idle = 0;
                    }
                    else
                    {
                        idle++;
                        spinner.SpinOnce(sleep1Threshold: -1);
                    }
                }

                Interlocked.Decrement(ref s_stealers); // full fence before the re-scan's loads of _bottom; pairs with the owner's CAS in TryAcquireStealerSlot or fence in WakeStealersSlow
                if (self.TryStealFromOthers() is not { } late)
                {
                    return;
                }

                // A job arrived after the last scan, maybe from an owner that saw every stealer slot taken.
                late.RunStolen();
                if (!TryAcquireStealerSlot())
                {
                    return;
                }
            }
        }
    }
}
