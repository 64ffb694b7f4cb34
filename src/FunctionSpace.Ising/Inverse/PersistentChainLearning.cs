using FunctionSpace.Ising.Randomness;
using System.Diagnostics;
using FunctionSpace.Ising.Inference;
using FunctionSpace.Ising.Models;
using static TorchSharp.torch;

namespace FunctionSpace.Ising.Inverse;

/// <summary>How <see cref="PersistentChainLearning"/> turns the moment mismatch into a parameter step.</summary>
public enum ChainLearningRule
{
    /// <summary>
    /// The Boltzmann-learning gradient in the raw parameters, δJ_ij = η_J (⟨s_i s_j⟩_data − ⟨s_i s_j⟩_model − λ₂ J_ij),
    /// δh_i = η_h (m_i^data − m_i^model), with two rates (the study's rule, App. C; its BP version uses η_J = 0.01,
    /// η_h = 0.3). From J = 0 its steps grow the couplings along the raw second moments, whose magnetised part is the
    /// pattern m_i m_j: where fields and a collective coupling explain the data equally well (spins the data freeze), it
    /// builds the collective (Mattis-like) mode, the minimum-norm solution gradient flow reaches from zero. Each parameter's
    /// step carries a gain that grows while its gradient keeps its sign (<see cref="PersistentChainOptions.MaxGain"/>): the
    /// couplings of strongly correlated pairs, which the plain rule approaches by a few thousandths per step, are learnt at
    /// up to ten times the rate, while couplings whose gradient is Monte-Carlo noise keep the plain one.
    /// </summary>
    Gradient,
    /// <summary>
    /// The linear-response (mean-field Newton) step with the data-fixed preconditioner A = (c_data + εI)⁻¹:
    /// δJ = η offdiag(A Δc A), δh = η (A Δm − δJ m_data). Fast on weakly correlated data; on strongly correlated or frozen
    /// spins A amplifies Monte-Carlo noise and the trust region stalls it.
    /// </summary>
    Newton,
}

/// <summary>Settings of <see cref="PersistentChainLearning"/>.</summary>
/// <param name="Chains">Persistent heat-bath chains (kept across learning steps); 0 = <see cref="AutoChains"/> of the size.</param>
/// <param name="SweepsPerStep">Sweeps of every chain per learning step; each sweep gives one Rao-Blackwellised sample per chain.</param>
/// <param name="BurnInSweeps">Sweeps of every chain on the initial model before the first step.</param>
/// <param name="StepSize">Learning rate: η_J of <see cref="ChainLearningRule.Gradient"/>, η of <see cref="ChainLearningRule.Newton"/>;
/// halved at every check that does not improve on the best model of the run.</param>
/// <param name="Rule">The step rule.</param>
/// <param name="FieldRateRatio">η_h / η_J of <see cref="ChainLearningRule.Gradient"/> (the study: 0.3 / 0.01 = 30).</param>
/// <param name="Ridge">Ridge ε of the Newton preconditioner (relative to the mean diagonal of the data's connected correlations).</param>
/// <param name="Seed">Seed of the chains (chain c uses stream c) and of the checks.</param>
/// <param name="ProgressEvery">Report progress every this many steps.</param>
/// <param name="MaxFieldStep">Trust region on the local fields: a step is scaled so that no mean-field local field
/// δh_i + Σ_j δJ_ij m_j moves by more than this (a step along a collective mode moves every local field coherently, by
/// N times its couplings' change, and overshoots first).</param>
/// <param name="MirrorMoves">Chains also propose the mirror state s → −s after every sweep (<see cref="MonteCarlo"/>).</param>
/// <param name="CheckEvery">Learning steps between two checks.</param>
/// <param name="Patience">Checks in a row that do not improve on the best model of the run before the learning stops.</param>
/// <param name="AveragingLength">When the checks stop improving, one last stretch of this many check intervals from the best
/// model, averaged over all its steps and checked with this many times the samples (0: none).</param>
/// <param name="MaxGain">Largest per-parameter gain of the gradient rule (1 = the plain rule): a parameter whose gradient keeps
/// its sign has its step multiplied by up to this (delta-bar-delta, Jacobs, Neural Networks 1, 295 (1988)).</param>
public sealed record PersistentChainOptions(int Chains = 0, int SweepsPerStep = 2, int BurnInSweeps = 100,
    double StepSize = 0.03, ChainLearningRule Rule = ChainLearningRule.Gradient, double FieldRateRatio = 30, double Ridge = 0.05,
    ulong Seed = 1, int ProgressEvery = 10, double MaxFieldStep = 0.25, bool MirrorMoves = true, int CheckEvery = 25,
    int Patience = 4, int AveragingLength = 4, double MaxGain = 10)
{

    /// <summary>
    /// The Monte Carlo of every check: fresh chains from random starts (heat bath, mirror moves), Rao-Blackwellised moments,
    /// errors from the spread over chains. Its seed is replaced per check by one derived from <see cref="Seed"/>.
    /// </summary>
    public MonteCarloOptions Check { get; init; } = DefaultCheck;

    /// <summary>
    /// The default checks: 128 chains, 300 sweeps of burn-in, 100 samples 2 sweeps apart. Many short chains rather than a few
    /// long ones: on a model with a collective mode the RMSE of one run fluctuates with the few slow fluctuations each chain
    /// makes (on the published shallow data, 0.0067–0.0155 between seeds with 64 chains × 400 samples), and independent
    /// chains average them; fresh chains carry none of the learning chains' lag.
    /// </summary>
    public static readonly MonteCarloOptions DefaultCheck = new(Chains: 128, BurnInSweeps: 300, Samples: 100, ThinSweeps: 2,
        Rule: MetropolisRule.HeatBath, MirrorMoves: true);

    /// <summary>
    /// The chains of <paramref name="n"/> spins when <see cref="Chains"/> is 0: the power of two nearest 400,000 / N, within
    /// 256..2048. A step's cost grows as chains × N², and the gradient's noise per entry as 1/√chains; at N = 675 this gives
    /// 512 chains, at N = 150–225 the 2048 that the slow convergence of strongly correlated pairs there needs.
    /// </summary>
    public static int AutoChains(int n) => Math.Clamp(1 << (int)Math.Round(Math.Log2(400_000.0 / Math.Max(1, n))), 256, 2048);

    /// <summary>The chains used for <paramref name="n"/> spins.</summary>
    public int ChainsFor(int n) => Chains > 0 ? Chains : AutoChains(n);

    /// <summary>Checks the settings; a bad value gives a one-line <see cref="InputException"/>.</summary>
    public void Validate()
    {
        if (Chains != 0 && Chains < 2) throw new InputException($"mc chains: {Chains} must be at least 2 (or 0 for the size's default)");
        if (SweepsPerStep < 1) throw new InputException($"mc sweeps per step: {SweepsPerStep} must be at least 1");
        if (BurnInSweeps < 0) throw new InputException($"mc burn-in: {BurnInSweeps} must not be negative");
        if (!(StepSize > 0 && StepSize <= 1)) throw new InputException($"mc step size: {StepSize} is outside (0, 1]");
        if (!(FieldRateRatio > 0)) throw new InputException($"mc field rate ratio: {FieldRateRatio} must be positive");
        if (!(Ridge >= 0)) throw new InputException($"mc ridge: {Ridge} must not be negative");
        if (!(MaxFieldStep > 0)) throw new InputException($"mc max field step: {MaxFieldStep} must be positive");
        if (CheckEvery < 1) throw new InputException($"mc check interval: {CheckEvery} must be at least 1");
        if (Patience < 1) throw new InputException($"mc patience: {Patience} must be at least 1");
        if (AveragingLength < 0) throw new InputException($"mc averaging length: {AveragingLength} must not be negative");
        if (!(MaxGain >= 1)) throw new InputException($"mc max gain: {MaxGain} must be at least 1");
        Check.Validate();
        if (Check.Chains < 2) throw new InputException($"mc check chains: {Check.Chains} must be at least 2");
    }
}

/// <summary>One check of a learning run: the model averaged over the steps since the previous check.</summary>
/// <param name="Step">Learning step at which it was taken (0 = the start).</param>
/// <param name="Rmse">Monte-Carlo RMSE against the data.</param>
/// <param name="NoiseRmse">Its Monte-Carlo noise.</param>
/// <param name="CorrectedRmse">The RMSE without the noise (<see cref="VerifiedMoments.CorrectedRmse"/>): what the checks compare.</param>
/// <param name="StepSize">η after the check.</param>
/// <param name="Best">Whether this check's model became the best one of the run.</param>
public sealed record LearningCheck(int Step, double Rmse, double NoiseRmse, double CorrectedRmse, double StepSize, bool Best)
{
    /// <summary>Standard error of <see cref="CorrectedRmse"/> (from groups of chains).</summary>
    public double CorrectedRmseError { get; init; }
}

/// <summary>A model the learning must beat to be returned, with its verification (e.g. the independent-site model).</summary>
/// <param name="Name">What it is (independent, tap, nmf, …), recorded as the source of the returned model when it stays the best.</param>
/// <param name="Model">The model.</param>
/// <param name="Check">Its verified moments (exact for the independent-site model).</param>
public sealed record Incumbent(string Name, IsingModel Model, VerifiedMoments Check);

/// <summary>
/// Boltzmann learning with Monte-Carlo moments from persistent chains (persistent contrastive divergence / stochastic
/// approximation, Younes 1989; Tieleman 2008) that keeps the best model by a verified error: every
/// <see cref="PersistentChainOptions.CheckEvery"/> steps the parameters averaged over those steps are checked on the
/// fresh chains, and the fit returns the model with the lowest noise-corrected RMSE — the start, a given
/// <see cref="Incumbent"/>, or a check — never one worse than where it started.
/// </summary>
/// <remarks>
/// Model moments per step are Rao-Blackwellised over the heat-bath conditionals, with L_i = h_i + Σ_j J_ij s_j:
/// ⟨s_i⟩ = ⟨tanh L_i⟩ and, for i ≠ j, ⟨s_i s_j⟩ = ½⟨s_j tanh L_i + s_i tanh L_j⟩ (L_i does not contain s_i).
/// The chains start from draws of the independent-site model of the data and propose mirror moves s → −s, so they reach
/// the state the data occupy and cross to its mirror only with its equilibrium odds. L2 enters the coupling gradient as
/// −λ₂ J_ij and L1 as the OWL-QN pseudo-gradient (Andrew &amp; Gao, ICML 2007: −λ₁ sign J_ij where J_ij ≠ 0, the
/// soft-thresholded mismatch where J_ij = 0), with a coupling that would change orthant set to 0.
/// A check verifies the parameters averaged over the steps since the previous check (Polyak–Ruppert over the interval) on
/// fresh chains (<see cref="PersistentChainOptions.Check"/>; <see cref="FitVerification"/>), and the RMSE is corrected for
/// the Monte-Carlo noise the spread over those chains implies (<see cref="VerifiedMoments.CorrectedRmse"/>). Fresh chains
/// matter: the learning chains, continued at a check's parameters for a few sweeps, still carry the lag of the learning and
/// measured the published shallow fit at RMSE 0.009 where fresh chains from random or data-like starts gave 0.013–0.015.
/// The per-step RMSE of the chains is recorded but never used to choose a model: it carries the chains' lag behind the
/// parameters and noise of the size of the error being corrected. A check that is worse than the best model of the learning
/// so far by more than twice their combined uncertainty (<see cref="VerifiedMoments.CorrectedRmseError"/>) restores that
/// model and halves the rate (a stochastic-approximation decrease triggered by the verified error, not by a schedule); one
/// within the uncertainty lets the learning go on. <see cref="PersistentChainOptions.Patience"/> checks in a row without a
/// new best, or a best corrected RMSE at or below <see cref="FitOptions.RmseTolerance"/>, end the learning, the first after
/// one last averaged stretch (<see cref="PersistentChainOptions.AveragingLength"/>). The returned model is verified again by
/// the caller on fresh
/// chains (<see cref="FitVerification"/>).
/// </remarks>
public sealed class PersistentChainLearning : IInverseSolver
{
    /// <summary>Creates the solver.</summary>
    public PersistentChainLearning(PersistentChainOptions? options = null, string name = "mc")
    {
        Options = options ?? new PersistentChainOptions();
        Options.Validate();
        Name = name;
    }

    /// <summary>Learning settings.</summary>
    public PersistentChainOptions Options { get; }

    /// <inheritdoc />
    public string Name { get; }

    /// <summary>A model the learning must beat (null: only its own start).</summary>
    public Incumbent? Incumbent { get; init; }

    /// <summary>The check of the returned model from the last fit (the incumbent's own check when it stayed the best).</summary>
    public VerifiedMoments? BestCheck { get; private set; }

    /// <inheritdoc />
    public FitResult Fit(FitTarget target, IsingModel? initial, FitOptions options,
        IProgress<ProgressReport>? progress = null, CancellationToken ct = default)
    {
        FitTarget.CheckArguments(target, initial, options);
        var watch = Stopwatch.StartNew();
        int n = target.Size;
        if (Incumbent != null && Incumbent.Model.Size != n) throw new InputException($"incumbent model has {Incumbent.Model.Size} spins, the data {n}");
        var data = target.Moments;
        double[] mData = data.Magnetisations;
        initial ??= FitVerification.IndependentModel(data);
        double[] h = initial.Fields.ToArray();
        double[] j = initial.Couplings.ToArray();
        double[]? precond = Options.Rule == ChainLearningRule.Newton ? Preconditioner(data.ConnectedCorrelations(), n, Options.Ridge) : null;
        double[] cData = data.ConnectedCorrelations();

        int chains = Options.ChainsFor(n), sweeps = Options.SweepsPerStep, rows = chains * sweeps;
        var spins = new sbyte[chains * n];
        var local = new double[chains * n];
        var rngs = new RandomSource[chains];
        for (int c = 0; c < chains; c++)
        {
            // Draws of the independent-site model of the data: the chains start where the data are.
            rngs[c] = new RandomSource(Options.Seed, (ulong)c);
            for (int i = 0; i < n; i++) spins[c * n + i] = rngs[c].NextDouble() < 0.5 * (1 + mData[i]) ? (sbyte)1 : (sbyte)-1;
        }
        long mirrorAccepted = RunChains(h, j, n, spins, local, rngs, Options.BurnInSweeps, Options.MirrorMoves, null, null, ct);
        int checkIndex = 0;
        long checkTicks = 0;
        VerifiedMoments Check(double[] checkH, double[] checkJ, int length = 1)
        {
            long start = Stopwatch.GetTimestamp();
            var result = FitVerification.VerifyToPrecision(new IsingModel(checkH, checkJ), data,
                Options.Check with { Seed = CheckSeed(Options.Seed, checkIndex++), Samples = Options.Check.Samples * length }, 0.5 * options.RmseTolerance,
                _ => CheckSeed(Options.Seed, checkIndex++), null, ct);
            checkTicks += Stopwatch.GetTimestamp() - start;
            return result;
        }

        // The learning's own best (what a failed check returns to) and the best of the run (what the fit returns).
        var startCheck = Check(h, j);
        double[] ownBestH = h.ToArray(), ownBestJ = j.ToArray();
        double ownBest = startCheck.CorrectedRmse, ownBestError = startCheck.CorrectedRmseError;
        double eta = Options.StepSize;
        bool incumbentBest = Incumbent != null && Incumbent.Check.CorrectedRmse < startCheck.CorrectedRmse;
        VerifiedMoments bestCheck = incumbentBest ? Incumbent!.Check : startCheck;
        double[] bestH = ownBestH, bestJ = ownBestJ;
        int bestStep = incumbentBest ? -1 : 0;
        var checks = new List<LearningCheck> { new(0, startCheck.Rmse, startCheck.NoiseRmse, startCheck.CorrectedRmse, eta, !incumbentBest) };
        progress?.Report(new ProgressReport(Name, 0, options.MaxIterations, "steps",
            $"start: rmse {startCheck.Rmse:E3} (noise {startCheck.NoiseRmse:E2}, corrected {startCheck.CorrectedRmse:E3})" +
            (Incumbent != null ? $"; {Incumbent.Name} {Incumbent.Check.CorrectedRmse:E3}" : "")));

        int total = options.MaxIterations;
        var sumH = new double[n];
        var sumJ = new double[n * n];
        int averaged = 0;
        var x = new double[rows * n];       // sampled spins, one row per (chain, sweep)
        var t = new double[rows * n];       // the local fields L at those samples
        var history = new List<double>();
        var reason = bestCheck.CorrectedRmse <= options.RmseTolerance ? new Stop(StopReason.Converged, "the start's check is at the tolerance") : new Stop(StopReason.IterationCap);
        int step = 0, limited = 0, failedChecks = 0, nextCheck = Options.CheckEvery, checkLength = 1;
        bool averagingPhase = false;
        var deltaC = new double[n * n];
        var deltaM = new double[n];
        var dH = new double[n];
        var dJ = new double[n * n];
        double[]? gains = null;
        sbyte[]? previousSign = null;
        while (reason.Reason != StopReason.Converged && step < total)
        {
            ct.ThrowIfCancellationRequested();
            step++;
            mirrorAccepted += RunChains(h, j, n, spins, local, rngs, sweeps, Options.MirrorMoves, x, t, ct);
            var (mModel, cModel) = RaoBlackwellMoments(x, t, rows, n);
            double rmse = data.Rmse(new Moments(mModel, cModel));
            history.Add(rmse);
            if (step % Options.ProgressEvery == 0)
                progress?.Report(new ProgressReport(Name, step, total, "steps",
                    $"rmse {rmse:E3} (chains) best {bestCheck.CorrectedRmse:E3} rate {eta:G3}"));
            if (!double.IsFinite(rmse)) { reason = new Stop(StopReason.Diverged, "non-finite moments"); break; }

            if (precond != null)
            {
                // Δc connected (model connected from its own m), diagonal included; the penalties enter the off-diagonal.
                for (int a = 0; a < n; a++)
                {
                    deltaM[a] = mData[a] - mModel[a];
                    for (int b = 0; b < n; b++)
                    {
                        double g = cData[a * n + b] - ((a == b ? 1 : cModel[a * n + b]) - mModel[a] * mModel[b]);
                        deltaC[a * n + b] = a == b ? g : PenalisedGradient(g, j[a * n + b], options.L2, options.L1);
                    }
                }
                var (nh, nj) = NewtonStep(precond, deltaC, deltaM, mData, n);
                Array.Copy(nh, dH, n); Array.Copy(nj, dJ, n * n);
            }
            else
            {
                for (int a = 0; a < n; a++)
                {
                    dH[a] = Options.FieldRateRatio * (mData[a] - mModel[a]);
                    for (int b = 0; b < n; b++)
                        dJ[a * n + b] = a == b ? 0 : PenalisedGradient(data.SecondMoments[a * n + b] - cModel[a * n + b], j[a * n + b], options.L2, options.L1);
                }
                if (Options.MaxGain > 1 && Options.Rule == ChainLearningRule.Gradient)
                {
                    // Per-parameter gains (delta-bar-delta, Jacobs 1988): ×1.2 while a parameter's gradient keeps its sign,
                    // ×0.5 (not below 1) when it flips. A strongly correlated pair's coupling, whose mismatch keeps one sign
                    // for hundreds of steps, is learnt at up to MaxGain × η; a coupling whose gradient is Monte-Carlo noise flips
                    // sign and stays at η.
                    gains ??= Enumerable.Repeat(1.0, n + n * n).ToArray();
                    previousSign ??= new sbyte[n + n * n];
                    for (int k = 0; k < n + n * n; k++)
                    {
                        double g = k < n ? dH[k] : dJ[k - n];
                        sbyte sign = (sbyte)Math.Sign(g);
                        int product = sign * previousSign[k];
                        if (product > 0) gains[k] = Math.Min(gains[k] * 1.2, Options.MaxGain);
                        else if (product < 0) gains[k] = Math.Max(gains[k] * 0.5, 1);
                        previousSign[k] = sign;
                        if (k < n) dH[k] *= gains[k]; else dJ[k - n] *= gains[k];
                    }
                }
            }
            double stepEta = eta * FieldTrustFactor(dH, dJ, mData, n, eta, Options.MaxFieldStep);
            if (stepEta < eta) limited++;
            for (int a = 0; a < n; a++) h[a] += stepEta * dH[a];
            for (int k = 0; k < n * n; k++)
            {
                double before = j[k], after = before + stepEta * dJ[k];
                // Orthant projection of the L1 step: a coupling may reach 0 but not cross it in one step, and one that was 0
                // may only leave it in the direction of its pseudo-gradient.
                if (options.L1 > 0 && before * after < 0) after = 0;
                j[k] = after;
            }
            for (int a = 0; a < n; a++) sumH[a] += h[a];
            for (int k = 0; k < n * n; k++) sumJ[k] += j[k];
            averaged++;

            if (step < nextCheck && step != total) continue;
            var candidateH = sumH.Select(v => v / averaged).ToArray();
            var candidateJ = new double[n * n];
            for (int a = 0; a < n; a++)
                for (int b = a + 1; b < n; b++) candidateJ[a * n + b] = candidateJ[b * n + a] = sumJ[a * n + b] / averaged;
            Array.Clear(sumH); Array.Clear(sumJ); averaged = 0;
            var check = Check(candidateH, candidateJ, checkLength);
            bool ownBetter = check.CorrectedRmse < ownBest;
            bool runBest = check.CorrectedRmse < bestCheck.CorrectedRmse;
            // Worse than the learning's best by more than twice the combined uncertainty of the two estimates (from the spread
            // over groups of chains): the step went wrong. Within it, the two cannot be told apart.
            double margin = 2 * Math.Sqrt(Sq(check.CorrectedRmseError) + Sq(ownBestError));
            bool worse = !ownBetter && check.CorrectedRmse > ownBest + (double.IsFinite(margin) ? margin : 0);
            if (ownBetter)
            {
                ownBest = check.CorrectedRmse; ownBestError = check.CorrectedRmseError; ownBestH = candidateH; ownBestJ = candidateJ; failedChecks = 0;
            }
            else
            {
                failedChecks++;
                if (worse)
                {
                    // Back to the learning's best with half the rate.
                    eta *= 0.5;
                    Array.Copy(ownBestH, h, n); Array.Copy(ownBestJ, j, n * n);
                    if (gains != null) { Array.Fill(gains, 1.0); Array.Clear(previousSign!); }
                    // The chains were following the rejected parameters: a few sweeps at the restored ones before the next step.
                    mirrorAccepted += RunChains(h, j, n, spins, local, rngs, RestoreSweeps, Options.MirrorMoves, null, null, ct);
                }
            }
            if (runBest) { bestCheck = check; bestH = candidateH; bestJ = candidateJ; bestStep = step; }
            checks.Add(new LearningCheck(step, check.Rmse, check.NoiseRmse, check.CorrectedRmse, eta, runBest) { CorrectedRmseError = check.CorrectedRmseError });
            progress?.Report(new ProgressReport(Name, step, total, "steps",
                $"check: rmse {check.Rmse:E3} (noise {check.NoiseRmse:E2}, corrected {check.CorrectedRmse:E3}) best {bestCheck.CorrectedRmse:E3}" +
                (bestStep >= 0 ? $" at step {bestStep}" : $" ({Incumbent!.Name})")));
            if (bestCheck.CorrectedRmse <= options.RmseTolerance) { reason = new Stop(StopReason.Converged, "a check's corrected RMSE is at the tolerance"); break; }
            if (averagingPhase) { reason = new Stop(StopReason.Stalled, "the averaging stretch ended"); break; }
            nextCheck = step + Options.CheckEvery;
            if (failedChecks >= Options.Patience)
            {
                if (Options.AveragingLength < 1 || step + Options.AveragingLength * Options.CheckEvery > total) { reason = new Stop(StopReason.Stalled, "no new best check within the patience"); break; }
                // The verified error stopped falling: one last, long stretch from the best model at the reduced rate, whose
                // average (Polyak–Ruppert) removes the parameter noise a short window leaves, checked with as many more samples.
                averagingPhase = true;
                checkLength = Options.AveragingLength;
                nextCheck = step + Options.AveragingLength * Options.CheckEvery;
            }
        }
        BestCheck = bestCheck;
        var result = bestStep < 0 ? Incumbent!.Model : new IsingModel(bestH, bestJ);
        return new FitResult(result, Name, step, reason, history.ToArray(), bestStep, watch.Elapsed)
        {
            Diagnostics = new Dictionary<string, object?>
            {
                ["rule"] = Options.Rule.ToString(),
                ["chains"] = chains,
                ["sweeps_per_step"] = sweeps,
                ["burn_in_sweeps"] = Options.BurnInSweeps,
                ["step_size"] = Options.StepSize,
                ["field_rate_ratio"] = Options.Rule == ChainLearningRule.Gradient ? Options.FieldRateRatio : null,
                ["max_gain"] = Options.Rule == ChainLearningRule.Gradient ? Options.MaxGain : null,
                ["ridge"] = Options.Rule == ChainLearningRule.Newton ? Options.Ridge : null,
                ["final_step_size"] = eta,
                ["field_limited_steps"] = limited,
                ["seed"] = Options.Seed,
                ["mirror_moves"] = Options.MirrorMoves,
                ["mirror_acceptance"] = Options.MirrorMoves ? mirrorAccepted / ((double)chains * (Options.BurnInSweeps + (long)step * sweeps)) : null,
                ["check_every"] = Options.CheckEvery,
                ["check_seconds"] = Stopwatch.GetElapsedTime(0, checkTicks).TotalSeconds,
                ["check_monte_carlo"] = Options.Check,
                ["checks"] = checks,
                ["best_source"] = bestStep < 0 ? Incumbent!.Name : bestStep == 0 ? "start" : $"step {bestStep}",
                ["best_rmse"] = bestCheck.Rmse,
                ["best_noise"] = bestCheck.NoiseRmse,
                ["best_corrected_rmse"] = bestCheck.CorrectedRmse,
                ["incumbent"] = Incumbent?.Name,
                ["incumbent_rmse"] = Incumbent?.Check.CorrectedRmse,
                ["note"] = "rmse history = per-step Rao-Blackwellised persistent-chain estimate (includes MC noise and the chains' lag); the model is chosen by the checks",
            },
        };
    }

    /// <summary>
    /// The gradient of the penalised log-likelihood for one coupling: g − λ₂ J, and for λ₁ &gt; 0 the OWL-QN pseudo-gradient
    /// (g − λ₁ sign J where J ≠ 0; at J = 0 the soft threshold sign(g) max(0, |g| − λ₁), so a coupling leaves 0 only
    /// when the mismatch exceeds λ₁).
    /// </summary>
    public static double PenalisedGradient(double g, double coupling, double l2, double l1)
    {
        g -= l2 * coupling;
        if (l1 <= 0) return g;
        if (coupling != 0) return g - l1 * Math.Sign(coupling);
        return Math.Sign(g) * Math.Max(0, Math.Abs(g) - l1);
    }

    // The factor (≤ 1) that keeps every mean-field local-field change η (δh_i + Σ_j δJ_ij m_j) within the trust region.
    private static double FieldTrustFactor(double[] dH, double[] dJ, double[] m, int n, double eta, double limit)
    {
        double largest = 0;
        for (int a = 0; a < n; a++)
            largest = Math.Max(largest, Math.Abs(dH[a] + VectorMath.Dot(dJ.AsSpan(a * n, n), m)));
        largest *= eta;
        return largest > limit ? limit / largest : 1;
    }

    private static double Sq(double v) => double.IsFinite(v) ? v * v : 0;

    // Sweeps at the restored parameters after a check that did not improve (5 steps' worth of the default 2 sweeps per step).
    private const int RestoreSweeps = 10;

    /// <summary>The seed of check number <paramref name="index"/> (0 = the start): distinct from every learning chain's stream.</summary>
    public static ulong CheckSeed(ulong seed, int index) => seed ^ (0xC4EC_0000_0000_0000UL + (ulong)index * 0x9E37_79B9UL);

    // A = (c + ε·mean(diag c)·I)⁻¹ by Cholesky.
    internal static double[] Preconditioner(double[] connected, int n, double ridge)
    {
        using var scope = NewDisposeScope();
        var c = tensor(connected, [n, n], ScalarType.Float64);
        c = c.Plus(c.t()).TimesInPlace(0.5);
        double scale = c.diagonal().mean().item<double>();
        c = c.Plus(eye(n, dtype: ScalarType.Float64).TimesInPlace(Math.Max(ridge * scale, 1e-12)));
        var (factor, info) = linalg.cholesky_ex(c);
        if (info.item<int>() != 0)
            throw new NumericalException($"connected correlation matrix ({n}x{n}) is not positive definite even with ridge {ridge}; raise the ridge setting of the learning's preconditioner");
        return cholesky_inverse(factor).contiguous().data<double>().ToArray();
    }

    // δJ = offdiag(A Δc A) (symmetrised), δh = A Δm − δJ m_data.
    internal static (double[] H, double[] J) NewtonStep(double[] precond, double[] deltaC, double[] deltaM, double[] mData, int n)
    {
        using var scope = NewDisposeScope();
        var a = tensor(precond, [n, n], ScalarType.Float64);
        var dc = tensor(deltaC, [n, n], ScalarType.Float64);
        var dj = a.mm(dc).mm(a);
        dj = dj.Plus(dj.t()).TimesInPlace(0.5);
        dj.diagonal().FillWith(0.0);
        var dm = tensor(deltaM, [n, 1], ScalarType.Float64);
        var m = tensor(mData, [n, 1], ScalarType.Float64);
        var dh = a.mm(dm) - dj.mm(m);
        return (dh.contiguous().data<double>().ToArray(), dj.contiguous().data<double>().ToArray());
    }

    // From samples x and their local fields L (rows × n): ⟨s_i⟩ = mean tanh L_i; ⟨s_i s_j⟩ = ½ mean (s_j tanh L_i + s_i tanh L_j), diagonal 1.
    internal static (double[] M, double[] C) RaoBlackwellMoments(double[] x, double[] t, int rows, int n)
    {
        using var scope = NewDisposeScope();
        var xs = tensor(x, [rows, n], ScalarType.Float64);
        var ts = tensor(t, [rows, n], ScalarType.Float64).tanh_();   // t holds the local fields L
        var p = ts.t().mm(xs);                      // p_ij = Σ tanh L_i s_j
        var c = p.Plus(p.t()).TimesInPlace(0.5 / rows);
        c.diagonal().FillWith(1.0);
        var m = ts.mean([0]);
        return (m.contiguous().data<double>().ToArray(), c.contiguous().data<double>().ToArray());
    }

    // Runs every chain `sweeps` heat-bath sweeps on (h, J), each followed by a mirror move when asked; records spins and
    // local fields L after each sweep when x != null. Returns the number of accepted mirror moves.
    private static long RunChains(double[] h, double[] j, int n, sbyte[] spins, double[] local, RandomSource[] rngs,
        int sweeps, bool mirror, double[]? x, double[]? t, CancellationToken ct)
    {
        int chains = rngs.Length;
        var accepted = new long[chains];
        RecomputeFields(h, j, spins, local, chains, n);   // re-anchor after the parameter change
        Parallel.For(0, chains, new ParallelOptions { CancellationToken = ct }, c =>
        {
            var s = spins.AsSpan(c * n, n);
            var l = local.AsSpan(c * n, n);
            var rng = rngs[c];
            for (int sweep = 0; sweep < sweeps; sweep++)
            {
                MonteCarlo.HeatBathSweep(j, s, l, ref rng);
                if (mirror && MonteCarlo.MirrorMove(h, s, l, ref rng)) accepted[c]++;
                if (x == null || t == null) continue;
                int row = (c * sweeps + sweep) * n;
                for (int i = 0; i < n; i++) x[row + i] = s[i];
                l.CopyTo(t.AsSpan(row, n));
            }
            rngs[c] = rng;
        });
        return accepted.Sum();
    }

    // L = h + S J for every chain at once (one product; J symmetric with zero diagonal, so L_i does not contain s_i).
    private static void RecomputeFields(double[] h, double[] j, sbyte[] spins, double[] local, int chains, int n)
    {
        using var scope = NewDisposeScope();
        var s = tensor(spins, [chains, n]).to_type(ScalarType.Float64);
        s.mm(tensor(j, [n, n], ScalarType.Float64)).Plus(tensor(h, [1, n], ScalarType.Float64)).contiguous().data<double>().CopyTo(local, 0);
    }
}
