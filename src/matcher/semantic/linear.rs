//! The model's matrix products (`x · W`), the bulk of the encoder's time, with an AVX-512 kernel
//! over f16 weight panels where the CPU has it and candle's matmul elsewhere.
//!
//! A query has only a few dozen tokens, so a product is a few rows against a large weight
//! matrix: time goes into streaming the weights, not arithmetic. General matmul kernels then
//! run far below peak (they stride through the weights and split the rows into narrow
//! blocks). The panel kernel stores each matrix as f16 in 32-column panels that it reads
//! front to back, once per 12 rows, widening to f32 in registers: half the memory traffic of
//! f32 and exactly the same results, since the weights are f16 to begin with.

use candle_core::{bail, CpuStorage, CustomOp1, DType, Layout, Shape, Tensor};
use rayon::prelude::*;

/// Columns per panel: two AVX-512 registers of f32.
const PANEL: usize = 32;
/// Rows per pass over the weights: 12 rows × 2 registers = 24 accumulators of the 32.
const ROWS: usize = 12;

/// A weight matrix ready for products `x · W` (`x` is `[rows, inputs]`, f32).
pub(super) enum Linear {
    /// f16 bit patterns in panels: panel `p` holds, for each input `i`, the weights of outputs
    /// `32p..32p+32`, so the kernel reads it sequentially.
    Panels {
        inputs: usize,
        outputs: usize,
        data: Vec<u16>,
    },
    /// `[inputs, outputs]` f32, for candle's matmul.
    Dense(Tensor),
}

impl Linear {
    /// From a weight stored as `[outputs, inputs]` (PyTorch's layout), in any float dtype.
    pub fn new(weight: &Tensor) -> candle_core::Result<Linear> {
        let (outputs, inputs) = weight.dims2()?;
        let transposed = weight.to_dtype(DType::F32)?.t()?.contiguous()?;
        if !panel_kernel_available() || outputs % PANEL != 0 {
            return Ok(Linear::Dense(transposed));
        }
        let rows = transposed.to_vec2::<f32>()?;
        let mut data = Vec::with_capacity(inputs * outputs);
        for panel in 0..outputs / PANEL {
            for row in &rows {
                data.extend(
                    row[panel * PANEL..(panel + 1) * PANEL]
                        .iter()
                        .map(|&w| half::f16::from_f32(w).to_bits()),
                );
            }
        }
        Ok(Linear::Panels {
            inputs,
            outputs,
            data,
        })
    }

    /// `x · W` for a contiguous f32 `x` of shape `[rows, inputs]`.
    pub fn forward(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        match self {
            Linear::Dense(weight) => x.matmul(weight),
            Linear::Panels { .. } => x.apply_op1_no_bwd(self),
        }
    }

    /// The weights as `[inputs, outputs]` f32 (for tests).
    #[cfg(test)]
    pub fn dense(&self) -> candle_core::Result<Tensor> {
        match self {
            Linear::Dense(weight) => Ok(weight.clone()),
            Linear::Panels {
                inputs,
                outputs,
                data,
            } => {
                let mut dense = vec![0f32; inputs * outputs];
                for (at, bits) in data.iter().enumerate() {
                    let (panel, rest) = (at / (inputs * PANEL), at % (inputs * PANEL));
                    let (input, col) = (rest / PANEL, rest % PANEL);
                    dense[input * outputs + panel * PANEL + col] =
                        half::f16::from_bits(*bits).to_f32();
                }
                Tensor::from_vec(dense, (*inputs, *outputs), &candle_core::Device::Cpu)
            }
        }
    }
}

impl CustomOp1 for Linear {
    fn name(&self) -> &'static str {
        "panel-matmul"
    }

    fn cpu_fwd(
        &self,
        storage: &CpuStorage,
        layout: &Layout,
    ) -> candle_core::Result<(CpuStorage, Shape)> {
        let Linear::Panels {
            inputs,
            outputs,
            data,
        } = self
        else {
            bail!("panel-matmul on dense weights")
        };
        let (inputs, outputs) = (*inputs, *outputs);
        let CpuStorage::F32(x) = storage else {
            bail!("panel-matmul: expected f32 input")
        };
        let (rows, width) = layout.shape().dims2()?;
        let Some((start, end)) = layout.contiguous_offsets() else {
            bail!("panel-matmul: input is not contiguous")
        };
        if width != inputs {
            bail!("panel-matmul: input has {width} columns, weights expect {inputs}");
        }
        let x = &x[start..end];
        let mut out = vec![0f32; rows * outputs];
        let work = |(x, out): (&[f32], &mut [f32])| panel_rows(x, inputs, data, out, outputs);
        // Threads pay off only when there are several row blocks to share out.
        if rows > 2 * ROWS {
            x.par_chunks(ROWS * inputs)
                .zip(out.par_chunks_mut(ROWS * outputs))
                .for_each(work);
        } else {
            x.chunks(ROWS * inputs)
                .zip(out.chunks_mut(ROWS * outputs))
                .for_each(work);
        }
        Ok((CpuStorage::F32(out), Shape::from((rows, outputs))))
    }
}

fn panel_kernel_available() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::arch::is_x86_feature_detected!("avx512f")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// `out = x · W` for at most [`ROWS`] rows, panel by panel.
fn panel_rows(x: &[f32], inputs: usize, panels: &[u16], out: &mut [f32], outputs: usize) {
    let rows = x.len() / inputs;
    assert!(rows <= ROWS && out.len() == rows * outputs && panels.len() == inputs * outputs);
    for (p, panel) in panels.chunks_exact(inputs * PANEL).enumerate() {
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx512f") {
            // SAFETY: AVX-512F is present (checked just above); `x` has `rows` rows of
            // `inputs`, the panel `inputs` × 32 weights, and `out` `rows` rows of `outputs` ≥
            // 32p + 32 columns (asserted above): everything the kernel touches.
            unsafe {
                avx512::panel_product(rows, x, inputs, panel, &mut out[p * PANEL..], outputs)
            };
            continue;
        }
        // Panels are only built when the kernel runs here; this keeps the function total.
        for (x_row, out_row) in x.chunks_exact(inputs).zip(out.chunks_exact_mut(outputs)) {
            for (xv, weights) in x_row.iter().zip(panel.chunks_exact(PANEL)) {
                for (o, w) in out_row[p * PANEL..(p + 1) * PANEL].iter_mut().zip(weights) {
                    *o += xv * half::f16::from_bits(*w).to_f32();
                }
            }
        }
    }
}

#[cfg(target_arch = "x86_64")]
mod avx512 {
    use super::{PANEL, ROWS};
    use std::arch::x86_64::*;

    /// `out[r][0..32] = Σ_i x[r][i] · panel[i][0..32]` for `rows` rows (row stride of `out`: `stride`).
    ///
    /// # Safety
    /// The CPU must support AVX-512F; `x` must hold `rows × inputs` values, `panel`
    /// `inputs × 32`, and `out` `(rows - 1) × stride + 32`.
    #[target_feature(enable = "avx512f")]
    pub(super) unsafe fn panel_product(
        rows: usize,
        x: &[f32],
        inputs: usize,
        panel: &[u16],
        out: &mut [f32],
        stride: usize,
    ) {
        debug_assert!(rows <= ROWS && panel.len() == inputs * PANEL);
        debug_assert!(x.len() >= rows * inputs && out.len() >= (rows - 1) * stride + PANEL);
        match rows {
            1 => tile::<1>(x, inputs, panel, out, stride),
            2 => tile::<2>(x, inputs, panel, out, stride),
            3 => tile::<3>(x, inputs, panel, out, stride),
            4 => tile::<4>(x, inputs, panel, out, stride),
            5 => tile::<5>(x, inputs, panel, out, stride),
            6 => tile::<6>(x, inputs, panel, out, stride),
            7 => tile::<7>(x, inputs, panel, out, stride),
            8 => tile::<8>(x, inputs, panel, out, stride),
            9 => tile::<9>(x, inputs, panel, out, stride),
            10 => tile::<10>(x, inputs, panel, out, stride),
            11 => tile::<11>(x, inputs, panel, out, stride),
            _ => tile::<ROWS>(x, inputs, panel, out, stride),
        }
    }

    /// The register tile: `R` rows × 32 columns of accumulators, one pass over the panel.
    #[inline]
    #[target_feature(enable = "avx512f")]
    unsafe fn tile<const R: usize>(
        x: &[f32],
        inputs: usize,
        panel: &[u16],
        out: &mut [f32],
        stride: usize,
    ) {
        let mut acc = [[_mm512_setzero_ps(); 2]; R];
        let x = x.as_ptr();
        let w = panel.as_ptr();
        for i in 0..inputs {
            let weights = w.add(i * PANEL);
            let low = _mm512_cvtph_ps(_mm256_loadu_si256(weights.cast()));
            let high = _mm512_cvtph_ps(_mm256_loadu_si256(weights.add(16).cast()));
            for (r, acc) in acc.iter_mut().enumerate() {
                let xv = _mm512_set1_ps(*x.add(r * inputs + i));
                acc[0] = _mm512_fmadd_ps(xv, low, acc[0]);
                acc[1] = _mm512_fmadd_ps(xv, high, acc[1]);
            }
        }
        let out = out.as_mut_ptr();
        for (r, acc) in acc.iter().enumerate() {
            _mm512_storeu_ps(out.add(r * stride), acc[0]);
            _mm512_storeu_ps(out.add(r * stride + 16), acc[1]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::Device;

    /// Products against the panels equal candle's matmul on the same (f16-exact) weights, for
    /// every row count the tiles handle and more than one block of rows.
    #[test]
    fn panel_products_match_a_plain_matmul() {
        let (outputs, inputs) = (64, 40);
        let weight: Vec<f32> = (0..outputs * inputs)
            .map(|i| ((i * 37 % 101) as f32 - 50.0) / 64.0)
            .collect();
        let weight = Tensor::from_vec(weight, (outputs, inputs), &Device::Cpu).unwrap();
        let linear = Linear::new(&weight).unwrap();
        let dense = linear.dense().unwrap();
        let expected_weight = weight.t().unwrap();
        assert_eq!(
            dense.to_vec2::<f32>().unwrap(),
            expected_weight.to_vec2::<f32>().unwrap()
        );
        for rows in [1, 5, 12, 13, 30] {
            let x: Vec<f32> = (0..rows * inputs)
                .map(|i| ((i % 17) as f32 - 8.0) / 8.0)
                .collect();
            let x = Tensor::from_vec(x, (rows, inputs), &Device::Cpu).unwrap();
            let got = linear.forward(&x).unwrap().to_vec2::<f32>().unwrap();
            let want = x.matmul(&dense).unwrap().to_vec2::<f32>().unwrap();
            for (g, w) in got.iter().flatten().zip(want.iter().flatten()) {
                assert!((g - w).abs() < 1e-4, "{rows} rows: {g} vs {w}");
            }
        }
    }
}
