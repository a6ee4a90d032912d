//! Fused element-wise steps of the forward pass (bias, GELU, residual + layer norm), applied in
//! place to a matrix product's fresh output: one pass over memory and no new buffer each.

use candle_core::{bail, CpuStorage, InplaceOp1, InplaceOp2, Layout, Result};

/// Calls `name(args)` compiled for AVX2 + FMA when the CPU has them (the baseline x86-64 target
/// only allows SSE2, four times narrower), otherwise the portable build of the same code.
macro_rules! with_simd {
    ($name:ident($($arg:expr),*)) => {{
        #[cfg(target_arch = "x86_64")]
        {
            if std::arch::is_x86_feature_detected!("avx2")
                && std::arch::is_x86_feature_detected!("fma")
            {
                // SAFETY: the running CPU supports AVX2 and FMA, the features `avx2`'s kernels
                // are compiled for.
                unsafe { avx2::$name($($arg),*) }
            } else {
                portable::$name($($arg),*)
            }
        }
        #[cfg(not(target_arch = "x86_64"))]
        {
            portable::$name($($arg),*)
        }
    }};
}

/// `x += bias` on every row of the fused query/key/value product, then the query part (the
/// first `query_width` columns) times `query_scale`.
pub(super) struct QkvBias<'a> {
    pub bias: &'a [f32],
    pub query_width: usize,
    pub query_scale: f32,
}

/// `x = gelu(x + bias)` on every row (the exact, erf-based GELU that BERT uses).
pub(super) struct BiasGelu<'a> {
    pub bias: &'a [f32],
}

/// `x = layer_norm(x + bias + residual) * weight + norm_bias` on every row.
pub(super) struct BiasResidualNorm<'a> {
    pub bias: &'a [f32],
    pub weight: &'a [f32],
    pub norm_bias: &'a [f32],
    pub eps: f32,
}

fn rows_mut<'s>(
    storage: &'s mut CpuStorage,
    layout: &Layout,
    width: usize,
) -> Result<&'s mut [f32]> {
    let CpuStorage::F32(data) = storage else {
        bail!("expected f32 storage")
    };
    match layout.contiguous_offsets() {
        Some((start, end)) if (end - start) % width == 0 => Ok(&mut data[start..end]),
        _ => bail!("expected a contiguous matrix with rows of {width}"),
    }
}

fn rows<'s>(storage: &'s CpuStorage, layout: &Layout) -> Result<&'s [f32]> {
    let CpuStorage::F32(data) = storage else {
        bail!("expected f32 storage")
    };
    match layout.contiguous_offsets() {
        Some((start, end)) => Ok(&data[start..end]),
        None => bail!("expected a contiguous matrix"),
    }
}

impl InplaceOp1 for QkvBias<'_> {
    fn name(&self) -> &'static str {
        "qkv-bias"
    }

    fn cpu_fwd(&self, storage: &mut CpuStorage, layout: &Layout) -> Result<()> {
        let xs = rows_mut(storage, layout, self.bias.len())?;
        if self.query_width > self.bias.len() {
            bail!("query width {} exceeds the row", self.query_width);
        }
        with_simd!(qkv_bias(xs, self));
        Ok(())
    }
}

impl InplaceOp1 for BiasGelu<'_> {
    fn name(&self) -> &'static str {
        "bias-gelu"
    }

    fn cpu_fwd(&self, storage: &mut CpuStorage, layout: &Layout) -> Result<()> {
        let xs = rows_mut(storage, layout, self.bias.len())?;
        with_simd!(bias_gelu(xs, self.bias));
        Ok(())
    }
}

impl InplaceOp2 for BiasResidualNorm<'_> {
    fn name(&self) -> &'static str {
        "bias-residual-norm"
    }

    fn cpu_fwd(
        &self,
        storage: &mut CpuStorage,
        layout: &Layout,
        residual: &CpuStorage,
        residual_layout: &Layout,
    ) -> Result<()> {
        let xs = rows_mut(storage, layout, self.bias.len())?;
        let residual = rows(residual, residual_layout)?;
        if residual.len() != xs.len() {
            bail!(
                "residual has {} values, expected {}",
                residual.len(),
                xs.len()
            );
        }
        with_simd!(bias_residual_norm(xs, residual, self));
        Ok(())
    }
}

/// The kernels, written so the compiler vectorises them; instantiated twice below.
macro_rules! kernels {
    ($($attr:meta)?) => {
        #[inline]
        $(#[$attr])?
        pub(super) fn qkv_bias(xs: &mut [f32], p: &super::QkvBias) {
            for row in xs.chunks_exact_mut(p.bias.len()) {
                for (x, b) in row.iter_mut().zip(p.bias) {
                    *x += b;
                }
                for x in &mut row[..p.query_width] {
                    *x *= p.query_scale;
                }
            }
        }

        #[inline]
        $(#[$attr])?
        pub(super) fn bias_gelu(xs: &mut [f32], bias: &[f32]) {
            for row in xs.chunks_exact_mut(bias.len()) {
                for (x, b) in row.iter_mut().zip(bias) {
                    let v = *x + b;
                    *x = 0.5 * v * (1.0 + super::erf(v * std::f32::consts::FRAC_1_SQRT_2));
                }
            }
        }

        #[inline]
        $(#[$attr])?
        pub(super) fn bias_residual_norm(
            xs: &mut [f32],
            residual: &[f32],
            p: &super::BiasResidualNorm,
        ) {
            let width = p.bias.len();
            for (row, res) in xs.chunks_exact_mut(width).zip(residual.chunks_exact(width)) {
                for ((x, r), b) in row.iter_mut().zip(res).zip(p.bias) {
                    *x += r + b;
                }
                let mean = super::sum(row) / width as f32;
                for x in row.iter_mut() {
                    *x -= mean;
                }
                let var = super::sum_squares(row) / width as f32;
                let inv_std = 1.0 / (var + p.eps).sqrt();
                for ((x, w), b) in row.iter_mut().zip(p.weight).zip(p.norm_bias) {
                    *x = *x * inv_std * w + b;
                }
            }
        }
    };
}

mod portable {
    kernels!();
}

#[cfg(target_arch = "x86_64")]
mod avx2 {
    kernels!(target_feature(enable = "avx2,fma"));
}

/// A sum in sixteen lanes, which the compiler can keep in vector registers.
#[inline(always)]
fn sum(xs: &[f32]) -> f32 {
    let mut lanes = [0f32; 16];
    let chunks = xs.chunks_exact(16);
    let tail: f32 = chunks.remainder().iter().sum();
    for chunk in chunks {
        for (l, x) in lanes.iter_mut().zip(chunk) {
            *l += x;
        }
    }
    lanes.iter().sum::<f32>() + tail
}

#[inline(always)]
fn sum_squares(xs: &[f32]) -> f32 {
    let mut lanes = [0f32; 16];
    let chunks = xs.chunks_exact(16);
    let tail: f32 = chunks.remainder().iter().map(|x| x * x).sum();
    for chunk in chunks {
        for (l, x) in lanes.iter_mut().zip(chunk) {
            *l += x * x;
        }
    }
    lanes.iter().sum::<f32>() + tail
}

/// erf(x) to within about 1e-7, branch-free so it vectorises: a rational approximation on
/// [-4, 4] (beyond which erf is ±1 in f32), the one Eigen and XLA use.
#[inline(always)]
fn erf(x: f32) -> f32 {
    let x = x.clamp(-4.0, 4.0);
    let x2 = x * x;
    let mut p = x2 * -2.726_142_3e-10 + 2.770_681_4e-8;
    p = x2 * p + -2.101_024e-6;
    p = x2 * p + -5.692_506_4e-5;
    p = x2 * p + -7.349_906_3e-4;
    p = x2 * p + -2.954_6e-3;
    p = x2 * p + -1.609_603_3e-2;
    let mut q = x2 * -1.456_607_2e-5 + -2.133_740_6e-4;
    q = x2 * q + -1.682_827e-3;
    q = x2 * q + -7.373_329_3e-3;
    q = x2 * q + -1.426_474e-2;
    x * p / q
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::{Device, Tensor};

    /// erf in f64: its Taylor series near zero, the continued fraction of erfc further out.
    fn erf_reference(x: f64) -> f64 {
        if x.abs() > 2.5 {
            let a = x.abs();
            let mut t = a;
            for n in (1..=80).rev() {
                t = a + (n as f64 / 2.0) / t;
            }
            let erfc = (-a * a).exp() / std::f64::consts::PI.sqrt() / t;
            return x.signum() * (1.0 - erfc);
        }
        let (mut term, mut total, mut n) = (x, x, 0.0);
        while term.abs() > 1e-17 {
            n += 1.0;
            term *= -x * x / n;
            total += term / (2.0 * n + 1.0);
        }
        total * 2.0 / std::f64::consts::PI.sqrt()
    }

    #[test]
    fn fast_erf_is_accurate_everywhere() {
        let worst = (-6000..=6000)
            .map(|i| i as f64 / 1000.0)
            .map(|x| (erf(x as f32) as f64 - erf_reference(x)).abs())
            .fold(0.0, f64::max);
        assert!(worst < 5e-7, "max error {worst}");
    }

    fn apply(xs: &[f32], width: usize, f: impl Fn(&Tensor) -> Result<()>) -> Vec<f32> {
        let t = Tensor::from_slice(xs, (xs.len() / width, width), &Device::Cpu).unwrap();
        f(&t).unwrap();
        t.flatten_all().unwrap().to_vec1().unwrap()
    }

    #[test]
    fn fused_steps_match_their_definitions() {
        let xs: Vec<f32> = (0..2 * 20).map(|i| (i as f32 * 0.37).sin() * 3.0).collect();
        let bias: Vec<f32> = (0..20).map(|i| i as f32 * 0.05 - 0.4).collect();
        let residual: Vec<f32> = (0..2 * 20).map(|i| (i as f32 * 0.11).cos()).collect();
        let weight: Vec<f32> = (0..20).map(|i| 1.0 + i as f32 * 0.01).collect();
        let norm_bias = vec![0.25f32; 20];

        let op = QkvBias {
            bias: &bias,
            query_width: 5,
            query_scale: 0.125,
        };
        let got = apply(&xs, 20, |t| t.inplace_op1(&op));
        for (i, g) in got.iter().enumerate() {
            let scale = if i % 20 < 5 { 0.125 } else { 1.0 };
            assert!((g - (xs[i] + bias[i % 20]) * scale).abs() < 1e-6);
        }

        let got = apply(&xs, 20, |t| t.inplace_op1(&BiasGelu { bias: &bias }));
        for (i, g) in got.iter().enumerate() {
            let v = (xs[i] + bias[i % 20]) as f64;
            let want = 0.5 * v * (1.0 + erf_reference(v / std::f64::consts::SQRT_2));
            assert!(
                (*g as f64 - want).abs() < 1e-5,
                "gelu({v}) = {g}, want {want}"
            );
        }

        let residual_t = Tensor::from_slice(&residual, (2, 20), &Device::Cpu).unwrap();
        let op = BiasResidualNorm {
            bias: &bias,
            weight: &weight,
            norm_bias: &norm_bias,
            eps: 1e-12,
        };
        let got = apply(&xs, 20, |t| t.inplace_op2(&residual_t, &op));
        for row in 0..2 {
            let v: Vec<f64> = (0..20)
                .map(|j| (xs[row * 20 + j] + bias[j] + residual[row * 20 + j]) as f64)
                .collect();
            let mean = v.iter().sum::<f64>() / 20.0;
            let var = v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / 20.0;
            for j in 0..20 {
                let want = (v[j] - mean) / (var + 1e-12).sqrt() * weight[j] as f64 + 0.25;
                assert!((got[row * 20 + j] as f64 - want).abs() < 1e-5);
            }
        }
    }
}
