using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Primitives.Internal;

namespace Primitives.ForkJoin;

/// <summary>
/// The work-stealing scheduler under <see cref="Fork.Join(Action, Action)"/> and shared <see cref="ForkJoinScope"/>s:
/// one <see cref="Worker"/> per thread that has taken part, each with a Chase-Lev deque and a batch-stolen queue of
/// scope tasks, a process-wide injection queue, and stealers borrowed from the thread pool.
/// </summary>
/// <remarks>
/// Design note: <c>docs/fork-join-scope.md</c> ("The scheduler": who is in the scheduler, who runs and who steals
/// what, "Batch steals of scope tasks", why no task and no wake-up is lost, completion counts, thread safety).
/// </remarks>
internal sealed partial class Worker
{
#if PRIMITIVES_FAULTS
    // Fault build: ResetForSystematicTest sets these. IdleSpins lives in an array element, which Coyote never turns
    // into a scheduling point.
    private static readonly int[] s_idleSpins = [64];
    private static object s_registrationLock = new();
    private static int s_maxStealers = Math.Max(1, Environment.ProcessorCount - 1);
    private static ConcurrentQueue<Work> s_injected = new();

    // Fault build: the iteration whose workers are current (see CurrentOrNull). An array element, as s_idleSpins.
    private static readonly int[] s_generation = [0];

    private static int IdleSpins => s_idleSpins[0];
#else
    /// <summary>Idle scans before a stealer exits (or a joiner parks).</summary>
    private const int IdleSpins = 64;

    private static readonly object s_registrationLock = new();
    private static readonly int s_maxStealers = Math.Max(1, Environment.ProcessorCount - 1);
    private static readonly ConcurrentQueue<Work> s_injected = new();
#endif
    private static readonly Stealer s_stealer = new();
    private static readonly Func<JoinJob, bool> s_isDone = static job => job.IsDone;
    private static Worker[] s_workers = [];
    private static int s_stealers;

    [ThreadStatic]
    private static Worker? t_current;

    private readonly Thread _thread;
    private int _nextVictim;
    private long[] _seenPushes = []; // plain: this worker's own; per registry index, the push count of a lone item it left (patient steals)
    private int _depth;
#if PRIMITIVES_FAULTS
    private readonly int _generation = s_generation[0]; // plain: written before the worker is published by Register
#endif

    private Worker(Thread thread) => _thread = thread;

    /// <summary>This thread's worker, registered on first use.</summary>
    internal static Worker Current
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => CurrentOrNull ?? Register();
    }

    /// <summary>
    /// This thread's worker, or null before its first use (a thread that never entered the scheduler holds no counts and
    /// no work). Fault build: also null for a worker of an earlier Coyote iteration, which that iteration may have cut
    /// short with work in its queues, a join job in use or a nonzero depth.
    /// </summary>
    internal static Worker? CurrentOrNull
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
#if PRIMITIVES_FAULTS
        get => t_current is { } worker && worker._generation == s_generation[0] ? worker : null; // plain: only ResetForSystematicTest writes s_generation, between iterations
#else
        get => t_current;
#endif
    }

    /// <summary>Stealers active now (a hint, for the debugger display).</summary>
    internal static int ActiveStealers => Volatile.Read(ref s_stealers); // acquire: a snapshot only

    /// <summary>The deque of this thread's pending join jobs, and of the scope tasks it spawns deeper than depth 1.</summary>
    internal WorkStealingDeque Deque { get; } = new();

    /// <summary>The queue of the scope tasks this thread spawns at depth 1, or took in a batch steal (see <see cref="StealHalfQueue"/>).</summary>
    internal StealHalfQueue Tasks { get; } = new();

    /// <summary>The owner parks here when its stolen job is not done and there is nothing to help with.</summary>
    internal WaitGate Gate { get; } = new();

    /// <summary>Owner: enters a scheduling context (spawns from this thread now go to its deque).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal void Enter() => _depth++; // plain: this worker's own field, used by its thread only

    /// <summary>
    /// Owner: leaves a scheduling context; leaving the outermost one gives back held counts and moves leftovers to the
    /// injection queue.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal void Exit()
    {
        if (--_depth == 0 && (_heldScope is not null || !Deque.LooksEmpty || !Tasks.LooksEmpty)) // plain _depth, _heldScope: this thread's own; LooksEmpty: its own queues, exact for the owner
        {
            LeaveScheduler();
        }
    }

    /// <summary>
    /// Any thread: submits a task of a shared scope: when this thread is in the scheduler, to its task queue at depth 1
    /// and to its deque deeper (a nested scope's joiner takes its own tasks newest first: see "Batch steals").
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void Submit(in Work work)
    {
        Worker? worker = CurrentOrNull;
        if (worker is not null && worker._depth != 0 && (worker._depth == 1 ? worker.Tasks.TryPush(work) : worker.Deque.TryPush(work))) // plain _depth: this thread's own
        {
            WakeStealers(); // fences before its decisive load of s_stealers (see "No work missed")
            return;
        }

        // The enqueue's CAS of the queue's tail is a full fence and the item's linearization point (a dequeuer that
        // sees the tail moved waits for the slot to be published), so the load of s_stealers below needs no other.
        s_injected.Enqueue(work);
        if (Volatile.Read(ref s_stealers) < s_maxStealers) // acquire: pairs with the stealers' Decrement (Dekker, with the CAS above)
        {
            TryLaunchStealer();
        }
    }

    /// <summary>Whether any deque or the injection queue looks non-empty (a hint: a parked joiner's wake condition).</summary>
    internal static bool AnyWorkVisible()
    {
        if (!s_injected.IsEmpty)
        {
            return true;
        }

        foreach (Worker worker in Volatile.Read(ref s_workers)) // acquire: pairs with the release store in Register
        {
            if (!worker.Deque.LooksEmpty || !worker.Tasks.LooksEmpty)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>After a push or an injection, makes sure some thread is looking for work (see "No work missed").</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void WakeStealers()
    {
        if (Volatile.Read(ref s_stealers) < s_maxStealers) // acquire, no fence: pairs with a retiring stealer's Decrement and process-wide barrier (see "No work missed")
        {
            TryLaunchStealer();
        }
    }

#if PRIMITIVES_FAULTS
    /// <summary>
    /// Fault build only, at the start of a Coyote iteration: forgets every registered worker, every thread's worker (a
    /// pool thread that runs a stealer again registers a fresh one), stealer slot, injected item and the registration
    /// lock (an iteration ends when its body returns, so stealers may be cut short holding a slot, the lock, work in
    /// their queues or a join job in use), and fixes the stealer bound (whatever the machine's core count) and the
    /// idle scans before a stealer retires or a joiner parks (fewer: shorter iterations, more retirements and parks).
    /// </summary>
    internal static void ResetForSystematicTest(int maxStealers, int idleSpins)
    {
        s_idleSpins[0] = idleSpins;
        s_registrationLock = new(); // Coyote refuses a lock that an iteration it cut short still holds
        s_workers = []; // plain: no other thread runs between iterations
        s_injected = new();
        s_stealers = 0;
        s_maxStealers = maxStealers;
        s_generation[0]++; // every thread's worker so far is stale: each registers a fresh one on its next use (CurrentOrNull)
    }
#endif

    /// <summary>
    /// Owner, in a <c>Fork.Join</c>: runs an item it popped that is not the join's own job: usually a scope task that
    /// the left side spawned above the job; or, when a scope's joiner inside the left side already popped and ran the
    /// job as help, an older join's job, which is then run as help too (its owner finds it done).
    /// </summary>
    internal void RunPopped(in Work work)
    {
        if (work.Scope is not { } scope)
        {
#if PRIMITIVES_FAULTS
            if (Fault.Is(FaultId.JoinDropsAnOlderJoinsJob))
            {
                return; // SEEDED FAULT: an older join's job popped by a younger join is neither run nor handed back: its owner waits forever
            }
#endif
            SwitchHeldScope(null); // the job is no task of any scope this thread holds counts of
            ((JoinJob)work.Item!).RunStolen();
            return;
        }

        RunTaskHeld(scope, (Action<ForkJoinScope>)work.Item!);
    }

    /// <summary>Owner: waits until <paramref name="job"/>, stolen by another thread, is done, running other work meanwhile.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    internal void WaitFor(JoinJob job) => HelpUntil(s_isDone, job, Gate, s_isDone);

    /// <summary>
    /// Owner, in a scheduling context: runs work found by <see cref="TryFind"/> until <paramref name="isDone"/> holds;
    /// when there is none, spins, then parks on <paramref name="gate"/> until <paramref name="isDoneOrHasWork"/> holds.
    /// Returns holding no count, and holding the scope it held on entry again (see <see cref="RestoreHeldScope"/>).
    /// </summary>
    internal void HelpUntil<TState>(Func<TState, bool> isDone, TState state, WaitGate gate, Func<TState, bool> isDoneOrHasWork)
    {
        ForkJoinScope? context = _heldScope; // plain: this thread's own; the scope whose task or body waits here
        SpinWait spinner = default;
        int idle = 0;
        while (!isDone(state))
        {
            if (TryFind(out Work work))
            {
                Execute(work);
                idle = 0;
                continue;
            }

#if PRIMITIVES_FAULTS
            if (Fault.Is(FaultId.SchedulerHelperWaitsHoldingCount))
            {
                if (++idle >= IdleSpins)
                {
                    gate.Wait(isDoneOrHasWork, state, CancellationToken.None); // SEEDED FAULT: spins and parks before subtracting the tasks it ran: if they were its scope's last, it waits for itself
                    FlushHeldCounts();
                    idle = 0;
                }

                continue;
            }
#endif
            FlushHeldCounts(); // before any wait: nobody waits for a count this thread holds
            if (isDone(state))
            {
                break; // through the restore below
            }

            if (++idle < IdleSpins)
            {
                spinner.SpinOnce(sleep1Threshold: -1); // never Thread.Sleep(1): parking is the next step
            }
            else
            {
                gate.Wait(isDoneOrHasWork, state, CancellationToken.None);
                idle = 0;
            }
        }

        FlushHeldCounts();
        _heldScope = context; // plain: this thread's own; nothing held now, and the caller's code is a task or body of context again
    }

    /// <summary>
    /// Owner: its deque's newest item, else its task queue's oldest, else the oldest injected one, else a batch of another
    /// task queue or the oldest item of another deque.
    /// </summary>
    /// <remarks>
    /// LooksEmpty first: for the owner it is never wrong when it says empty (only thieves move top, and a stale top
    /// makes the deque look fuller), and it spares a stealer that lives on injected work the pop's full fence.
    /// </remarks>
    private bool TryFind(out Work work, bool patient = false) =>
        (!Deque.LooksEmpty && Deque.TryPop(out work)) || (!Tasks.LooksEmpty && Tasks.TryTake(out work)) || s_injected.TryDequeue(out work) || TryStealFromOthers(out work, patient);

    /// <summary>Runs found work: a stolen join job, or a scope task counted in the held counts.</summary>
    private void Execute(in Work work)
    {
        if (work.Scope is not { } scope)
        {
            SwitchHeldScope(null); // the job may run long, and is no task of the held scope: no count held meanwhile, no credit taken
            ((JoinJob)work.Item!).RunStolen();
            return;
        }

        RunTaskHeld(scope, (Action<ForkJoinScope>)work.Item!);
    }

    /// <summary>
    /// Patient thief: whether the lone item of the victim at <paramref name="index"/> is new since this thread's last
    /// look (its push count moved); records the count either way.
    /// </summary>
    private bool IsFirstSighting(int workers, int index, long pushes)
    {
        long[] seen = _seenPushes; // plain: this worker's own
        if (seen.Length != workers)
        {
            seen = _seenPushes = new long[workers]; // the registry changed: every lone item counts as new once more
            Array.Fill(seen, -1L);
        }

        bool first = seen[index] != pushes;
        seen[index] = pushes;
        return first;
    }

    /// <summary>Owner, leaving its outermost context: gives back held counts, then moves leftovers to the injection queue.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void LeaveScheduler()
    {
        SwitchHeldScope(null); // outside the scheduler nothing would flush later; by construction nothing is held here (every context restores its caller's, RestoreHeldScope), so this only guards that
        if (!Deque.LooksEmpty || !Tasks.LooksEmpty)
        {
            InjectLeftovers();
        }
    }

    /// <summary>
    /// Takes about half of some other thread's task queue (into this thread's, which is empty: <see cref="TryFind"/> looked
    /// there first), or the oldest item of its deque, scanning from a rotating start. A <paramref name="patient"/>
    /// thief (an idle stealer) leaves a lone item it has not seen before: its owner, a <c>Fork.Join</c> whose left side is
    /// short, is about to pop it back, and a steal would only cost both threads cache misses and the owner a wait. It
    /// takes the item on a later scan if no push happened in between (the same item stayed: the left side is long).
    /// </summary>
    private bool TryStealFromOthers(out Work work, bool patient)
    {
        Worker[] workers = Volatile.Read(ref s_workers); // acquire: pairs with the release store in Register
        int start = _nextVictim++; // plain: this worker's own field, used by its thread only
        for (int i = 0; i < workers.Length; i++)
        {
            int index = (int)((uint)(start + i) % (uint)workers.Length);
            Worker victim = workers[index];
            if (victim == this)
            {
                continue;
            }

            if (!victim.Tasks.LooksEmpty && victim.Tasks.TryStealHalf(Tasks, out work)) // LooksEmpty: a hint; the steal re-reads both indices
            {
                return true;
            }

            long size = victim.Deque.SizeAndPushes(out long pushes);
            bool leave = patient && size == 1 && IsFirstSighting(workers.Length, index, pushes);
#if PRIMITIVES_FAULTS
            if (Fault.Is(FaultId.SchedulerStealerNeverTakesALoneItem))
            {
                leave = size == 1; // SEEDED FAULT: a lone item is never stolen, however long it waits: a task whose spawner blocks until it ran is never run
            }
#endif
            if (size <= 0 || leave)
            {
                continue;
            }

            if (victim.Deque.TrySteal(out work))
            {
                return true;
            }
        }

        work = default;
        return false;
    }

    /// <summary>Owner, leaving its outermost context: moves what is left in its task queue and deque to the injection queue.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void InjectLeftovers()
    {
        while (Tasks.TryTake(out Work work) || Deque.TryPop(out work))
        {
            s_injected.Enqueue(work);
            WakeStealers();
            work.Scope?.NotifyWorkArrived(); // its joiner may have parked while the item was between the two queues
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static Worker Register()
    {
        var worker = new Worker(Thread.CurrentThread);
        lock (s_registrationLock)
        {
            Worker[] live = Array.FindAll(s_workers, w => w._thread.IsAlive);
            Volatile.Write(ref s_workers, [.. live, worker]); // release: the new worker is fully built before thieves see it
        }

        t_current = worker;
        return worker;
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
            int seen = Interlocked.CompareExchange(ref s_stealers, stealers + 1, stealers); // pairs with a retiring stealer's Decrement
            if (seen == stealers)
            {
                return true;
            }

            stealers = seen;
        }

        return false;
    }

    /// <summary>The thread-pool work item that runs work until it finds none for a while.</summary>
    private sealed class Stealer : IThreadPoolWorkItem
    {
        public void Execute()
        {
            Worker self = Current;
            self.Enter(); // spawns by the tasks it runs go to this thread's deque
            while (true)
            {
                SpinWait spinner = default;
                int idle = 0;
                while (idle < IdleSpins)
                {
                    if (self.TryFind(out Work work, patient: true))
                    {
                        self.Execute(work);
                        idle = 0;
                    }
                    else
                    {
                        self.FlushHeldCounts(); // before spinning or retiring: nobody waits for a count this thread holds
                        idle++;
                        spinner.SpinOnce(sleep1Threshold: -1);
                    }
                }

                Interlocked.Decrement(ref s_stealers); // pairs with the submitters' load of s_stealers in WakeStealers and Submit
                Interlocked.MemoryBarrierProcessWide(); // every submitter's earlier store is visible to the last scan below, or its later load of s_stealers sees the decrement (see "No work missed")
#if PRIMITIVES_FAULTS
                if (Fault.Is(FaultId.SchedulerStealerRetiresWithoutRescan))
                {
                    self.Exit();
                    return; // SEEDED FAULT: work submitted by a thread that saw every stealer slot taken is left for nobody
                }
#endif
                if (!self.TryFind(out Work late))
                {
                    self.Exit();
                    return;
                }

                // Work arrived after the last scan, maybe from a submitter that saw every stealer slot taken.
                self.Execute(late);
                self.FlushHeldCounts();
                if (!TryAcquireStealerSlot())
                {
                    self.Exit(); // leftovers of the late item go to the injection queue, where the active stealers look
                    return;
                }
            }
        }
    }
}
