using FunctionSpace.Ising.Inference;
using FunctionSpace.Ising.Models;
using FunctionSpace.Ising.Networks;
using static FunctionSpace.Ising.IO.JsonNumbers;

namespace FunctionSpace.Ising.Inverse;

/// <summary>Outcome for one part.</summary>
/// <param name="Part">The slice.</param>
/// <param name="Fit">The solver's result (its model is the saved one unless <paramref name="Saved"/> says otherwise).</param>
/// <param name="Model">The saved model.</param>
/// <param name="Saved">What was saved: the method's model, or "independent" when that was better by the final verification.</param>
/// <param name="BpRmse">Moment RMSE of the saved model by BP (NaN if BP failed or was skipped).</param>
/// <param name="Verification">The final Monte-Carlo verification of the saved model (null if skipped).</param>
/// <param name="IndependentRmse">RMSE of the independent-site model h = atanh m, J = 0 (exact).</param>
/// <param name="NoiseFloor">The data's noise floor (NaN if unknown).</param>
/// <param name="NoiseFloorSource">Where the noise floor comes from.</param>
/// <param name="Verdict">The verdict against the target, the noise floor and the Monte-Carlo noise.</param>
/// <param name="TripletFraction">Fraction of data triplets predicted within tolerance (NaN if none).</param>
/// <param name="TripletCount">Triplets checked.</param>
/// <param name="Data">The part's data moments (the fit's target).</param>
public sealed record PartFitReport(SpinSlice Part, FitResult Fit, IsingModel Model, string Saved, double BpRmse, VerifiedMoments? Verification,
    double IndependentRmse, double NoiseFloor, string NoiseFloorSource, FitVerdict Verdict, double TripletFraction, int TripletCount, Moments Data)
{
    /// <summary>The file stem of the saved model inside an output folder: "{part}_{method}" (':' of a range as '-').</summary>
    public string ModelName => $"{Part.Name.Replace(':', '-')}_{Fit.Method}";

    /// <summary>The target RMSE the verdict was judged against (before the noise floor raised it).</summary>
    public double TargetRmse { get; init; }

    /// <summary>Independent samples behind the full data, from which the penalty's strengths follow (<see cref="PenaltyScale.Strengths"/>).</summary>
    public double PenaltySampleCount { get; init; }

    /// <summary>The model's sidecar (<see cref="ModelFile.Save"/>): the settings, checks and verdict of the fit.</summary>
    internal object Sidecar { get; init; } = new();

    /// <summary>Monte-Carlo RMSE of the saved model (NaN if not verified).</summary>
    public double McRmse => Verification?.Rmse ?? double.NaN;

    /// <summary>Its Monte-Carlo noise.</summary>
    public double McNoiseRmse => Verification?.NoiseRmse ?? double.NaN;

    /// <summary>Its noise-corrected RMSE.</summary>
    public double CorrectedRmse => Verification?.CorrectedRmse ?? double.NaN;

    /// <summary>The penalty selection, when one was made.</summary>
    public PenaltySelection? Penalty { get; init; }

    /// <summary>The L2 and L1 strengths the fit used.</summary>
    public (double L2, double L1) Strengths { get; init; }
}

/// <summary>What a fit's numbers say.</summary>
/// <param name="Text">The verdict: reproduces the data / at the data's noise floor / does not … / not verified.</param>
/// <param name="Advice">What to do about it (null when nothing is needed). "Fit longer" only while the verified error still fell.</param>
/// <param name="Reproduces">Whether the noise-corrected RMSE is at or below the required RMSE (the target, or the noise floor when larger).</param>
/// <param name="Required">That required RMSE.</param>
public sealed record FitVerdict(string Text, string? Advice, bool Reproduces, double Required)
{
    /// <summary>
    /// Judges a verified fit. The required RMSE is max(target, noise floor): a model cannot be asked to be closer to the data
    /// than the data are to their own distribution. The comparison uses the noise-corrected RMSE (the Monte-Carlo noise
    /// removed), so the verification's finite sample neither fails a good fit nor passes a bad one; chains that did not mix
    /// give no verdict. "Fit longer" is advised only when the learning hit its step cap while its verified error still fell.
    /// </summary>
    public static FitVerdict Judge(VerifiedMoments? verification, double independentRmse, double noiseFloor, double target,
        Stop stop, bool stillFalling, string saved)
    {
        double required = double.IsFinite(noiseFloor) ? Math.Max(target, noiseFloor) : target;
        bool floorRules = double.IsFinite(noiseFloor) && noiseFloor > target;
        if (verification == null) return new FitVerdict("not verified by Monte Carlo", null, false, required);
        var c = System.Globalization.CultureInfo.InvariantCulture;
        if (!verification.Mixing.Mixed)
            return new FitVerdict("not verified: the Monte-Carlo chains did not mix (" + verification.Mixing.Describe() + ")",
                "the model has states the sampler does not cross between; its moments are uncertain", false, required);
        double corrected = verification.CorrectedRmse;
        if (corrected <= required)
            return new FitVerdict(floorRules ? string.Format(c, "at the data's noise floor ({0:F4})", noiseFloor) : "reproduces the data", null, true, required);
        string text = floorRules
            ? string.Format(c, "does not reach the data's noise floor (RMSE {0:F4} against {1:F4})", corrected, noiseFloor)
            : string.Format(c, "does not reproduce the data (RMSE {0:F4} against {1:F4})", corrected, required);
        if (saved == "independent") text += string.Format(c, "; no learned model beat the independent-site model (RMSE {0:F4})", independentRmse);
        string advice = stop.Reason == StopReason.IterationCap && stillFalling
            ? "fit longer: the verified RMSE was still falling when the step cap was reached"
            : "a longer fit will not help (the verified RMSE had stopped falling): try more networks, a penalty chosen on held-out networks, or another method";
        return new FitVerdict(text, advice, false, required);
    }
}

/// <summary>The outcome of <see cref="FitPipeline.Run"/>: one report per part, in the order of the settings' parts.</summary>
/// <param name="Parts">The parts' reports, each with its model in memory and why its learning stopped (<see cref="FitResult.Stop"/>).</param>
public sealed record FitRunResult(IReadOnlyList<PartFitReport> Parts)
{
    /// <summary>The report of the part named <paramref name="name"/>.</summary>
    public PartFitReport this[string name] => Parts.First(p => p.Part.Name == name);
}

/// <summary>
/// One row of the fit table (fit.json, written by <see cref="FitPipeline.Write"/>): a part's fit, its checks against the
/// independent-site baseline and the data's noise floor, and its verdict. Read back by <see cref="Read"/>.
/// </summary>
/// <param name="Part">Part name.</param>
/// <param name="Size">Spins of the part.</param>
/// <param name="Method">The method's name.</param>
/// <param name="Saved">What was saved: the method's model or "independent".</param>
/// <param name="Iterations">Learning steps.</param>
/// <param name="BestStep">The step whose model was saved (null: the start or the independent model).</param>
/// <param name="Stop">Why the learning stopped.</param>
/// <param name="RmseIndependent">RMSE of the independent-site model.</param>
/// <param name="RmseBp">RMSE of the saved model by BP.</param>
/// <param name="RmseMc">Its Monte-Carlo RMSE.</param>
/// <param name="RmseMcNoise">The Monte-Carlo noise of that RMSE.</param>
/// <param name="RmseMcCorrected">The noise-corrected Monte-Carlo RMSE.</param>
/// <param name="ChainsMixed">Whether the verification's chains mixed.</param>
/// <param name="DataNoiseFloor">The data's noise floor.</param>
/// <param name="NoiseFloorSource">Where the floor comes from.</param>
/// <param name="RequiredRmse">The RMSE the verdict required.</param>
/// <param name="Reproduces">Whether the fit reproduces the data (null in tables written before it was recorded).</param>
/// <param name="Verdict">The verdict.</param>
/// <param name="Advice">What to do about it.</param>
/// <param name="L2">L2 strength used.</param>
/// <param name="L1">L1 strength used.</param>
/// <param name="PenaltyScale">The penalty scale chosen on held-out networks.</param>
/// <param name="TripletsPredicted">Fraction of data triplets predicted within tolerance.</param>
/// <param name="Seconds">Seconds of the learning (a timing: differs between runs).</param>
/// <param name="Model">File stem of the saved model in the table's folder.</param>
public sealed record FitTableRow(string Part, int Size, string Method, string Saved, int Iterations, int? BestStep, string Stop,
    double RmseIndependent, double? RmseBp, double? RmseMc, double? RmseMcNoise, double? RmseMcCorrected, bool? ChainsMixed,
    double? DataNoiseFloor, string NoiseFloorSource, double RequiredRmse, bool? Reproduces, string Verdict, string? Advice,
    double L2, double L1, double? PenaltyScale, double? TripletsPredicted, double Seconds, string? Model)
{
    private static readonly System.Text.Json.JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = System.Text.Json.JsonNamingPolicy.SnakeCaseLower,
    };

    /// <summary>Whether the fit reproduces its data: the recorded flag, or for older tables whether the verdict does not say "does not".</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public bool ReproducesData => Reproduces ?? !Verdict.StartsWith("does not", StringComparison.Ordinal);

    /// <summary>The row of a part's report.</summary>
    public static FitTableRow Of(PartFitReport r)
    {
        ArgumentNullException.ThrowIfNull(r);
        return new FitTableRow(r.Part.Name, r.Part.Length, r.Fit.Method, r.Saved, r.Fit.Iterations,
            r.Saved == "independent" || r.Fit.BestIteration < 0 ? null : r.Fit.BestIteration, r.Fit.Stop.Reason.ToString(),
            r.IndependentRmse, Finite(r.BpRmse), Finite(r.McRmse), Finite(r.McNoiseRmse), Finite(r.CorrectedRmse), r.Verification?.Mixing.Mixed,
            Finite(r.NoiseFloor), r.NoiseFloorSource, r.Verdict.Required, r.Verdict.Reproduces, r.Verdict.Text, r.Verdict.Advice,
            r.Strengths.L2, r.Strengths.L1, r.Penalty?.Scale, Finite(r.TripletFraction), r.Fit.Elapsed.TotalSeconds, r.ModelName);
    }

    /// <summary>The table as indented JSON (an array of rows).</summary>
    public static string ToJson(IReadOnlyList<FitTableRow> rows) => System.Text.Json.JsonSerializer.Serialize(rows, Json);

    /// <summary>Reads a fit table; malformed content is a one-line error naming the file.</summary>
    public static IReadOnlyList<FitTableRow> Read(string path)
    {
        IO.InputFile.Require(path);
        try
        {
            return System.Text.Json.JsonSerializer.Deserialize<FitTableRow[]>(File.ReadAllText(path), Json)
                   ?? throw new InputException($"{path}: empty fit table");
        }
        catch (System.Text.Json.JsonException e)
        {
            throw new InputException($"{path}: not a fit table ({IO.MessageText.Excerpt(e.Message.Split('\n')[0], 300)})", e);
        }
    }
}
