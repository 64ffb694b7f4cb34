using FunctionSpace.Ising.Inference;

namespace FunctionSpace.Ising.Inverse;

/// <summary>
/// The defaults of every fit, shared by <c>fsi fit</c> (its option defaults), the pipeline's fit stage
/// (<see cref="Pipeline.FitConfig"/>) and <c>fsi bench fit</c>: one method, start, checks and tolerances.
/// </summary>
public static class FitDefaults
{
    /// <summary>Persistent-chain Monte-Carlo learning (<see cref="PersistentChainLearning"/>): BP is biased on these models.
    /// A name of <see cref="FitNames.MethodTable"/> (a constant, so that configuration records can default to it).</summary>
    public const string Method = "mc";

    /// <summary>Where the learning starts: h = 0, J = 0 (the study's start), from which the gradient builds collective modes;
    /// the best cheap estimate is kept as the model to beat (<see cref="Incumbent"/>). A name of <see cref="FitNames.InitTable"/>.</summary>
    public const string Init = "zero";

    /// <summary>Groups of networks (by network id) when a penalty is chosen on held-out networks: each is held out once.</summary>
    public const int Folds = 2;

    /// <summary>How BP Boltzmann learning (method bp) turns the moment mismatch into a step.</summary>
    public const BoltzmannUpdate BpUpdate = BoltzmannUpdate.MeanFieldNewton;

    /// <summary>BP settings of the BP-based methods and of the BP check of a fitted model (damping 0.5, tolerance 1e-10).</summary>
    public static BpOptions Bp { get; } = new();

    /// <summary>Learning-step cap.</summary>
    public const int MaxIterations = 600;

    /// <summary>The learning stops once a check's noise-corrected RMSE is at or below this (or the data's noise floor).</summary>
    public const double RmseTolerance = 0.005;

    /// <summary>RMSE at or below which a fit reproduces the data (the study's fits reach 0.0025–0.01 by BP).</summary>
    public const double TargetRmse = 0.01;

    /// <summary>Tolerance on connected three-point correlations.</summary>
    public const double TripletTolerance = 0.01;

    /// <summary>Chains of the final verification (many independent chains average a collective mode's slow fluctuations).</summary>
    public const int VerificationChains = 128;

    /// <summary>Burn-in sweeps of the final verification (from random starts).</summary>
    public const int VerificationBurnIn = 1000;

    /// <summary>Samples per chain of the final verification.</summary>
    public const int VerificationSamples = 500;

    /// <summary>Sweeps between the final verification's samples.</summary>
    public const int VerificationThin = 2;

    /// <summary>
    /// The final verification of a fitted model: 128 fresh heat-bath chains from random starts with mirror moves, 1,000 sweeps
    /// of burn-in, 500 samples per chain 2 sweeps apart, Rao-Blackwellised; the mixing check compares its chains.
    /// </summary>
    public static MonteCarloOptions Verification(ulong seed) => new(Chains: VerificationChains, BurnInSweeps: VerificationBurnIn,
        Samples: VerificationSamples, ThinSweeps: VerificationThin, Rule: MetropolisRule.HeatBath, Seed: seed, MirrorMoves: true);

    /// <summary>The check of a cheap start (TAP, nMF inversion): 16 fresh chains, 300 sweeps of burn-in, 250 samples 2 apart.</summary>
    public static MonteCarloOptions StartCheck(ulong seed) => new(Chains: 16, BurnInSweeps: 300, Samples: 250, ThinSweeps: 2,
        Rule: MetropolisRule.HeatBath, Seed: seed, MirrorMoves: true);

    /// <summary>Seeds of a fit's stages, derived from its seed.</summary>
    public static (ulong Learning, ulong Verification, ulong StartCheck) Seeds(ulong seed) =>
        (seed ^ 0x5EED5EED5EEDUL, seed, seed ^ 0x57A7_0000_0000UL);
}

/// <summary>Settings of a fit run (one or more parts); every value not given is the default of <see cref="FitDefaults"/>.</summary>
/// <param name="Input">The data.</param>
/// <param name="Parts">FULL, LB, ITER, RB or start:end ranges.</param>
public sealed record FitSettings(FitInput Input, IReadOnlyList<string> Parts)
{
    /// <summary>The inverse method (<see cref="FitNames.MethodTable"/>).</summary>
    public FitMethod Method { get; init; } = FitNames.ParseMethod(FitDefaults.Method);

    /// <summary>Start of the learning (<see cref="FitNames.InitTable"/>): zero (default), independent, best (the best cheap estimate), tap, nmf.</summary>
    public FitInit Init { get; init; } = FitNames.ParseInit(FitDefaults.Init);

    /// <summary>Common fit options (step cap, stopping RMSE, L2, L1).</summary>
    public FitOptions Fit { get; init; } = new(MaxIterations: FitDefaults.MaxIterations, RmseTolerance: FitDefaults.RmseTolerance);

    /// <summary>BP settings of the BP-based methods and the BP check.</summary>
    public BpOptions Bp { get; init; } = FitDefaults.Bp;

    /// <summary>Whether the fitted model's moments are also computed by BP (reported beside the Monte-Carlo ones).</summary>
    public bool BpCheck { get; init; } = true;

    /// <summary>Seed of every random draw of the fit (learning chains, checks, verification).</summary>
    public ulong Seed { get; init; } = 1;

    /// <summary>The final verification (Samples = 0 skips it; then nothing guards against a worse-than-independent fit).</summary>
    public MonteCarloOptions MonteCarlo { get; init; } = FitDefaults.Verification(1);

    /// <summary>|Δ⟨s_i s_j s_k⟩_c| below which a data triplet counts as predicted.</summary>
    public double TripletTolerance { get; init; } = FitDefaults.TripletTolerance;

    /// <summary>RMSE at or below which a fit reproduces the data (raised to the data's noise floor when that is larger).</summary>
    public double TargetRmse { get; init; } = FitDefaults.TargetRmse;

    /// <summary>The data's noise floor for every part (an RMSE a perfect model would show against these data, e.g. from a
    /// bootstrap over networks); null: <see cref="NoiseFloors"/>, else estimated from the sample count.</summary>
    public double? NoiseFloor { get; init; }

    /// <summary>The data's noise floor per part name (overrides <see cref="NoiseFloor"/>).</summary>
    public IReadOnlyDictionary<string, double>? NoiseFloors { get; init; }

    /// <summary>Settings of the persistent-chain learning (method mc or --refine mc); its seed is replaced by the fit's.</summary>
    public PersistentChainOptions Chains { get; init; } = new();

    /// <summary>Second stage after the method: null/"none", or "mc" (persistent-chain Monte-Carlo learning from the first fit).</summary>
    public string? Refine { get; init; }

    /// <summary>Learning steps of the refinement stage.</summary>
    public int RefineIterations { get; init; } = FitDefaults.MaxIterations;

    /// <summary>
    /// Saved models (stems of <c>fsi fit</c> outputs) that form the initial point instead of <see cref="Init"/>: each is placed
    /// at its sidecar's slice (e.g. the fitted LB, ITER and RB blocks as the start of FULL); uncovered couplings are 0,
    /// uncovered fields atanh m_i.
    /// </summary>
    public IReadOnlyList<string>? InitModels { get; init; }

    /// <summary>How BP Boltzmann learning (method bp) turns the moment mismatch into a step.</summary>
    public BoltzmannUpdate BpUpdate { get; init; } = FitDefaults.BpUpdate;

    /// <summary>
    /// Learn with <see cref="InexactBpMomentEstimator"/> (what `fsi bench fit` times): BP to a tenth of the best RMSE within
    /// <see cref="BpSweepBudget"/> sweeps per step. False: BP to the given tolerance at every step.
    /// </summary>
    public bool BpInexact { get; init; }

    /// <summary>BP sweeps allowed to a learning step's estimate when <see cref="BpInexact"/> (0 = none); see
    /// <see cref="FitPipeline.LearningSweepBudget"/>.</summary>
    public int BpSweepBudget { get; init; } = FitPipeline.LearningSweepBudget;

    /// <summary>Choose the penalty on J by held-out networks (null: use <see cref="Fit"/>'s L2 and L1 as given).</summary>
    public PenaltyKind? Penalty { get; init; }

    /// <summary>The prior scales c tried (null: <see cref="PenaltyScale.Defaults"/>).</summary>
    public IReadOnlyList<double>? PenaltyScales { get; init; }

    /// <summary>(training, held-out) moment pairs of the whole network for <see cref="Penalty"/> (e.g. orbit-averaged fold
    /// moments); null with a penalty: built from <see cref="FoldCount"/> groups of the ensemble input's networks.</summary>
    public IReadOnlyList<MomentFold>? Folds { get; init; }

    /// <summary>Groups of networks (by network id) when the folds are built from the ensemble input.</summary>
    public int FoldCount { get; init; } = FitDefaults.Folds;

    /// <summary>Independent samples behind the full data, for the penalty strength λ = c / M (null: the networks of the
    /// ensemble input, else the moments' configuration count).</summary>
    public double? SampleCount { get; init; }
}
