//! The BERT forward pass of the sentence encoder, with weights laid out for fast CPU inference.
//!
//! Loaded once from the f16 safetensors file. Each layer's query, key and value projections are
//! one fused matrix, so a layer is four weight products ([`Linear`]), the attention products,
//! and in-place fused bias / GELU / residual + layer norm steps; the token-type-0 vector is
//! folded into the position table.

use super::error::SemanticError;
use super::kernels::{BiasGelu, BiasResidualNorm, QkvBias};
use super::linear::Linear;
use candle_core::safetensors::SliceSafetensors;
use candle_core::{DType, Device, Tensor};
use serde::Deserialize;
use std::path::Path;

/// The architecture numbers the loader needs from `config.json`.
#[derive(Debug, Clone, Deserialize)]
pub(super) struct BertConfig {
    pub vocab_size: usize,
    pub hidden_size: usize,
    pub num_hidden_layers: usize,
    pub num_attention_heads: usize,
    pub intermediate_size: usize,
    pub max_position_embeddings: usize,
    pub layer_norm_eps: f64,
    pub hidden_act: String,
}

impl BertConfig {
    /// Parses `config.json` and rejects shapes this forward pass does not implement.
    pub fn parse(path: &Path, bytes: &[u8]) -> Result<BertConfig, SemanticError> {
        let bad = |problem: String| SemanticError::BadConfig {
            path: path.to_path_buf(),
            problem,
        };
        let config: BertConfig = serde_json::from_slice(bytes).map_err(|e| bad(e.to_string()))?;
        if config.hidden_act != "gelu" {
            return Err(bad(format!(
                "hidden_act is {:?}; only \"gelu\" is implemented",
                config.hidden_act
            )));
        }
        if config.num_attention_heads == 0
            || !config
                .hidden_size
                .is_multiple_of(config.num_attention_heads)
        {
            return Err(bad(format!(
                "hidden_size {} does not split into {} attention heads",
                config.hidden_size, config.num_attention_heads
            )));
        }
        Ok(config)
    }
}

/// One transformer layer: matrices pre-transposed to `[in, out]`, vectors as plain slices for
/// the fused kernels.
struct Layer {
    qkv_weight: Linear,
    qkv_bias: Vec<f32>,
    attention_out_weight: Linear,
    attention_out_bias: Vec<f32>,
    attention_norm_weight: Vec<f32>,
    attention_norm_bias: Vec<f32>,
    ffn_in_weight: Linear,
    ffn_in_bias: Vec<f32>,
    ffn_out_weight: Linear,
    ffn_out_bias: Vec<f32>,
    ffn_norm_weight: Vec<f32>,
    ffn_norm_bias: Vec<f32>,
}

/// The encoder's weights, ready to run.
pub(super) struct Bert {
    config: BertConfig,
    /// Kept in f16 (half the memory); only the rows of a query's tokens are widened.
    word_embeddings: Tensor,
    /// Position embeddings plus the token-type-0 embedding (every token has type 0).
    position_embeddings: Tensor,
    embedding_norm_weight: Vec<f32>,
    embedding_norm_bias: Vec<f32>,
    /// Zeros: the embedding sum has no bias of its own.
    zero_bias: Vec<f32>,
    /// Attention scores are (q·k)/sqrt(head size); q is scaled as its bias is added.
    query_scale: f32,
    layers: Vec<Layer>,
}

/// Reads tensors by name from the safetensors file, checking each one's shape.
struct Weights<'a> {
    file: SliceSafetensors<'a>,
    path: &'a Path,
}

impl Weights<'_> {
    fn get(&self, name: &str, shape: &[usize]) -> Result<Tensor, SemanticError> {
        let bad = |problem: String| SemanticError::BadTensor {
            path: self.path.to_path_buf(),
            tensor: name.to_string(),
            problem,
        };
        let tensor = self
            .file
            .load(name, &Device::Cpu)
            .map_err(|e| bad(e.to_string()))?;
        if tensor.dims() != shape {
            return Err(bad(format!(
                "shape {:?}, expected {:?}",
                tensor.dims(),
                shape
            )));
        }
        if !matches!(tensor.dtype(), DType::F16 | DType::F32) {
            return Err(bad(format!("dtype {:?}, expected F16", tensor.dtype())));
        }
        Ok(tensor)
    }

    /// An f32 tensor; candle errors while widening are reported against the tensor's name.
    fn f32(&self, name: &str, shape: &[usize]) -> Result<Tensor, SemanticError> {
        let tensor = self.get(name, shape)?;
        tensor
            .to_dtype(DType::F32)
            .map_err(|e| self.inference_error(name, e))
    }

    /// A 1-D tensor as f32 values.
    fn vector(&self, name: &str, len: usize) -> Result<Vec<f32>, SemanticError> {
        self.f32(name, &[len])?
            .to_vec1()
            .map_err(|e| self.inference_error(name, e))
    }

    /// A linear layer's weight (`[out, in]` in the file), ready for products.
    fn linear(&self, name: &str, out: usize, inp: usize) -> Result<Linear, SemanticError> {
        let weight = self.get(name, &[out, inp])?;
        Linear::new(&weight).map_err(|e| self.inference_error(name, e))
    }

    fn inference_error(&self, name: &str, e: candle_core::Error) -> SemanticError {
        SemanticError::BadTensor {
            path: self.path.to_path_buf(),
            tensor: name.to_string(),
            problem: e.to_string(),
        }
    }
}

impl Bert {
    /// Builds the model from the bytes of a verified safetensors file.
    pub fn load(path: &Path, bytes: &[u8], config: BertConfig) -> Result<Bert, SemanticError> {
        let file = SliceSafetensors::new(bytes).map_err(|e| SemanticError::BadTensor {
            path: path.to_path_buf(),
            tensor: "(header)".to_string(),
            problem: e.to_string(),
        })?;
        let w = Weights { file, path };
        let h = config.hidden_size;
        let word_embeddings =
            w.get("embeddings.word_embeddings.weight", &[config.vocab_size, h])?;
        let positions = w.f32(
            "embeddings.position_embeddings.weight",
            &[config.max_position_embeddings, h],
        )?;
        let token_types = w.f32("embeddings.token_type_embeddings.weight", &[2, h])?;
        let position_embeddings = token_types
            .get(0)
            .and_then(|type0| positions.broadcast_add(&type0))
            .map_err(|e| w.inference_error("embeddings.token_type_embeddings.weight", e))?;
        let embedding_norm_weight = w.vector("embeddings.LayerNorm.weight", h)?;
        let embedding_norm_bias = w.vector("embeddings.LayerNorm.bias", h)?;
        let head_dim = h / config.num_attention_heads;
        let layers = (0..config.num_hidden_layers)
            .map(|i| Layer::load(&w, &format!("encoder.layer.{i}."), &config))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Bert {
            config,
            word_embeddings,
            position_embeddings,
            embedding_norm_weight,
            embedding_norm_bias,
            zero_bias: vec![0.0; h],
            query_scale: 1.0 / (head_dim as f32).sqrt(),
            layers,
        })
    }

    /// The width of a token vector (and of a sentence vector).
    pub fn hidden_size(&self) -> usize {
        self.config.hidden_size
    }

    /// The longest sequence the position table covers.
    pub fn max_positions(&self) -> usize {
        self.config.max_position_embeddings
    }

    /// Token vectors `[len, hidden]` for one sequence of token ids (no padding, so no mask).
    pub fn forward(&self, ids: &[u32]) -> candle_core::Result<Tensor> {
        let len = ids.len();
        let h = self.config.hidden_size;
        let heads = self.config.num_attention_heads;
        let head_dim = h / heads;
        let eps = self.config.layer_norm_eps as f32;

        let ids = Tensor::from_slice(ids, len, &Device::Cpu)?;
        let mut x = self
            .word_embeddings
            .index_select(&ids, 0)?
            .to_dtype(DType::F32)?;
        x.inplace_op2(
            &self.position_embeddings.narrow(0, 0, len)?,
            &BiasResidualNorm {
                bias: &self.zero_bias,
                weight: &self.embedding_norm_weight,
                norm_bias: &self.embedding_norm_bias,
                eps,
            },
        )?;

        for layer in &self.layers {
            let qkv = layer.qkv_weight.forward(&x)?;
            qkv.inplace_op1(&QkvBias {
                bias: &layer.qkv_bias,
                query_width: h,
                query_scale: self.query_scale,
            })?;
            let qkv = qkv
                .reshape((len, 3, heads, head_dim))?
                .permute((1, 2, 0, 3))?
                .contiguous()?;
            let (q, k, v) = (qkv.get(0)?, qkv.get(1)?, qkv.get(2)?);
            let scores = q.matmul(&k.t()?)?;
            let probs = candle_nn::ops::softmax_last_dim(&scores)?;
            let context = probs
                .matmul(&v)?
                .transpose(0, 1)?
                .contiguous()?
                .reshape((len, h))?;
            let attended = layer.attention_out_weight.forward(&context)?;
            attended.inplace_op2(
                &x,
                &BiasResidualNorm {
                    bias: &layer.attention_out_bias,
                    weight: &layer.attention_norm_weight,
                    norm_bias: &layer.attention_norm_bias,
                    eps,
                },
            )?;
            let inner = layer.ffn_in_weight.forward(&attended)?;
            inner.inplace_op1(&BiasGelu {
                bias: &layer.ffn_in_bias,
            })?;
            let out = layer.ffn_out_weight.forward(&inner)?;
            out.inplace_op2(
                &attended,
                &BiasResidualNorm {
                    bias: &layer.ffn_out_bias,
                    weight: &layer.ffn_norm_weight,
                    norm_bias: &layer.ffn_norm_bias,
                    eps,
                },
            )?;
            x = out;
        }
        Ok(x)
    }
}

impl Layer {
    fn load(w: &Weights, prefix: &str, config: &BertConfig) -> Result<Layer, SemanticError> {
        let h = config.hidden_size;
        let i = config.intermediate_size;
        let name = |n: &str| format!("{prefix}{n}");

        let qkv = [
            w.get(&name("attention.self.query.weight"), &[h, h])?,
            w.get(&name("attention.self.key.weight"), &[h, h])?,
            w.get(&name("attention.self.value.weight"), &[h, h])?,
        ];
        let qkv_weight = Tensor::cat(&qkv, 0)
            .and_then(|qkv| Linear::new(&qkv))
            .map_err(|e| w.inference_error(&name("attention.self.query.weight"), e))?;
        let mut qkv_bias = w.vector(&name("attention.self.query.bias"), h)?;
        qkv_bias.extend(w.vector(&name("attention.self.key.bias"), h)?);
        qkv_bias.extend(w.vector(&name("attention.self.value.bias"), h)?);
        Ok(Layer {
            qkv_weight,
            qkv_bias,
            attention_out_weight: w.linear(&name("attention.output.dense.weight"), h, h)?,
            attention_out_bias: w.vector(&name("attention.output.dense.bias"), h)?,
            attention_norm_weight: w.vector(&name("attention.output.LayerNorm.weight"), h)?,
            attention_norm_bias: w.vector(&name("attention.output.LayerNorm.bias"), h)?,
            ffn_in_weight: w.linear(&name("intermediate.dense.weight"), i, h)?,
            ffn_in_bias: w.vector(&name("intermediate.dense.bias"), i)?,
            ffn_out_weight: w.linear(&name("output.dense.weight"), h, i)?,
            ffn_out_bias: w.vector(&name("output.dense.bias"), h)?,
            ffn_norm_weight: w.vector(&name("output.LayerNorm.weight"), h)?,
            ffn_norm_bias: w.vector(&name("output.LayerNorm.bias"), h)?,
        })
    }
}
